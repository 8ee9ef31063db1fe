import path from 'node:path';
import { defineConfig } from 'vite';

// No React plugin: Vite 8 compiles TSX itself (oxc) with React's automatic JSX runtime.
// No fast refresh either; the console is built (`npm run build`) and served by the API's Express app.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: 'public',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: path.resolve(import.meta.dirname, '../dist/console'),
    emptyOutDir: true,
    // No inline module-preload polyfill or inlined assets: the Content-Security-Policy allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      onwarn(warning, warn) {
        // Ant Design marks its modules "use client" for React Server Components; meaningless in a client bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
