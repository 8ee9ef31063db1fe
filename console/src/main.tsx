import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import './console.css';
import { nonceScriptInsertedStyles } from './csp';

// The nonce the server put in this page's Content-Security-Policy: Ant Design's style elements carry it.
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? '';
nonceScriptInsertedStyles(nonce);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App nonce={nonce} />
  </StrictMode>,
);
