/**
 * The console is served by the API's app without shadowing it: its page for a browser's navigation
 * (with a fresh nonce in its Content-Security-Policy), its files under /assets, and the API's own
 * answers for every API path, whatever the Accept header.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApp } from '../../api/app';
import { createTestApi, type TestApi } from '../support/api';

let api: TestApi;
let consoleDir: string;
const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

beforeAll(async () => {
  api = await createTestApi();
  consoleDir = mkdtempSync(path.join(tmpdir(), 'godown-console-build-'));
  mkdirSync(path.join(consoleDir, 'assets'));
  writeFileSync(path.join(consoleDir, 'index.html'), '<!doctype html><meta name="csp-nonce" content="__CSP_NONCE__"><script type="module" src="/assets/index-abc.js"></script>');
  writeFileSync(path.join(consoleDir, 'assets', 'index-abc.js'), 'console.log(1)');
});
afterAll(() => api.close());

const app = () => createApp(api.deps, undefined, { consoleDir });

describe('serving the console', () => {
  test("a browser's navigation to a console address gets the page, its nonce in both the page and the policy", async () => {
    const first = await request(app()).get('/app/portfolio').set('Accept', HTML).expect(200);
    const second = await request(app()).get('/app/portfolio').set('Accept', HTML).expect(200);
    const nonce = /content="([^"]+)"/.exec(first.text)![1];
    expect(nonce).not.toBe('__CSP_NONCE__');
    expect(/content="([^"]+)"/.exec(second.text)![1]).not.toBe(nonce);
    expect(first.headers['content-security-policy']).toBe(
      `default-src 'self'; script-src 'self'; style-src 'self' 'nonce-${nonce}'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
    );
    expect(first.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cache-control': 'no-store' });
  });

  test('its files are served with the same headers, and cached for good (their names carry a hash)', async () => {
    const asset = await request(app()).get('/assets/index-abc.js').expect(200);
    expect(asset.text).toBe('console.log(1)');
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    expect(asset.headers['content-security-policy']).toContain("frame-ancestors 'none'");
  });

  test('API paths stay the API for a browser too, and what is not a navigation gets the API 404', async () => {
    const apiRoute = await request(app()).get('/credit-lines').set('Accept', HTML);
    expect([apiRoute.status, apiRoute.headers['content-type']]).toEqual([401, 'application/problem+json; charset=utf-8']);
    const json = await request(app()).get('/app/portfolio').set('Accept', 'application/json');
    expect([json.status, json.body.code]).toEqual([404, 'route_not_found']);
    const post = await request(app()).post('/app/portfolio').set('Accept', HTML);
    expect([post.status, post.body.code]).toEqual([404, 'route_not_found']);
    const missingAsset = await request(app()).get('/assets/nothing.js').set('Accept', HTML);
    expect([missingAsset.status, missingAsset.body.code]).toEqual([404, 'route_not_found']);
  });

  test('without a build, a navigation is told how to build the console', async () => {
    const unbuilt = createApp(api.deps, undefined, { consoleDir: path.join(consoleDir, 'missing') });
    const res = await request(unbuilt).get('/app/portfolio').set('Accept', HTML).expect(404);
    expect(res.text).toBe(`the console is not built: run "npm run build" (it writes ${path.join(consoleDir, 'missing')})`);
  });
});
