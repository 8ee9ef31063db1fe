import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** Where `npm run build` writes the console (vite, console/vite.config.ts), relative to the working directory. */
export const CONSOLE_DIR_DEFAULT = 'dist/console';

const NONCE_PLACEHOLDER = '__CSP_NONCE__';
const NONCE_BYTES = 18;
const ASSET_MAX_AGE = '365d';

/**
 * The console's Content-Security-Policy: scripts only from this origin (no inline script at all);
 * style sheets from this origin and, for Ant Design's CSS-in-JS, only `<style>` elements carrying this
 * response's nonce (the page hands it to Ant Design's ConfigProvider `csp`, console/src/csp.ts to
 * the rest); no framing.
 */
export function consoleContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    `style-src 'self' 'nonce-${nonce}'`,
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(res: Response, nonce: string): void {
  res.set('Content-Security-Policy', consoleContentSecurityPolicy(nonce));
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('X-Frame-Options', 'DENY');
  res.set('Referrer-Policy', 'no-referrer');
  res.set('Cross-Origin-Opener-Policy', 'same-origin');
}

/** A navigation by a browser: GET or HEAD asking for HTML (an API client asking for JSON gets the API's 404). */
function wantsPage(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  return req.accepts(['application/json', 'text/html']) === 'text/html' && (req.header('accept') ?? '').includes('text/html');
}

/**
 * The built console, mounted after every API route: its files under /assets, and its page
 * (index.html with a fresh nonce) for any other GET that a browser makes for HTML, so that the
 * console's own addresses (/app/…) load and API routes are never shadowed. Without a build
 * (API-only deployments, the Jest suite) a navigation is told how to build it.
 */
export function consoleRouter(consoleDir: string = path.resolve(CONSOLE_DIR_DEFAULT)): RequestHandler {
  const router = express.Router();
  const indexPath = path.join(consoleDir, 'index.html');
  const page = existsSync(indexPath) ? readFileSync(indexPath, 'utf8') : null;
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') securityHeaders(res, randomBytes(NONCE_BYTES).toString('base64'));
    next();
  });
  router.use(
    '/assets',
    express.static(path.join(consoleDir, 'assets'), { index: false, fallthrough: true, immutable: true, maxAge: ASSET_MAX_AGE }),
  );
  router.get('/favicon.svg', express.static(consoleDir, { index: false }));
  router.use((req: Request, res: Response, next: NextFunction) => {
    if (!wantsPage(req) || req.path.startsWith('/assets/')) {
      next();
      return;
    }
    const nonce = randomBytes(NONCE_BYTES).toString('base64');
    securityHeaders(res, nonce);
    res.set('Cache-Control', 'no-store');
    if (page === null) {
      res.status(404).type('text/plain').send(`the console is not built: run "npm run build" (it writes ${consoleDir})`);
      return;
    }
    res.type('html').send(page.replaceAll(NONCE_PLACEHOLDER, nonce));
  });
  return router;
}
