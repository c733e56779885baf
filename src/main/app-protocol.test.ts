import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { appPageUrl, contentSecurityPolicy, decideAppAsset, isAppUrl, metaContentSecurityPolicy } from './app-protocol';

describe('app protocol', () => {
  it('serves the three renderer files with the CSP and nosniff', () => {
    for (const [url, file] of [
      ['mng://tray/index.html', 'index.html'],
      ['mng://tray/', 'index.html'],
      ['mng://tray/renderer.js', 'renderer.js'],
      ['mng://tray/renderer.css', 'renderer.css'],
      ['mng://tray/index.html#lock', 'index.html'],
    ] as const) {
      const decision = decideAppAsset('GET', url);
      expect(decision).toMatchObject({ ok: true, file });
      if (decision.ok) {
        expect(decision.headers['Content-Security-Policy']).toBe(contentSecurityPolicy);
        expect(decision.headers['X-Content-Type-Options']).toBe('nosniff');
      }
    }
  });

  it.each([
    'mng://tray/../main.js',
    'mng://tray/%2e%2e/main.js',
    'mng://tray/..%2fmain.js',
    'mng://tray/preload.js',
    'mng://tray/renderer/index.html',
    'mng://other/index.html',
    'mng://tray:8080/index.html',
    'mng://user@tray/index.html',
    'file:///etc/passwd',
    'https://tray/index.html',
    'mng://tray/__proto__',
    'mng://tray/constructor',
    'not a url',
  ])('refuses %s', (url) => {
    expect(decideAppAsset('GET', url)).toEqual({ ok: false, status: 404 });
  });

  it('refuses anything but GET', () => {
    expect(decideAppAsset('POST', 'mng://tray/index.html')).toEqual({ ok: false, status: 405 });
  });

  it('knows its own URLs and nobody else’s', () => {
    expect(isAppUrl(appPageUrl('lock'))).toBe(true);
    expect(isAppUrl('mng://tray.evil/index.html')).toBe(false);
    expect(isAppUrl('http://127.0.0.1/index.html')).toBe(false);
    expect(isAppUrl('about:blank')).toBe(false);
  });

  it('uses in the page exactly the CSP the protocol sends, and nothing inline is allowed', () => {
    const html = readFileSync(new URL('../renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(metaContentSecurityPolicy);
    expect(contentSecurityPolicy).toBe(`${metaContentSecurityPolicy}; frame-ancestors 'none'`);
    expect(contentSecurityPolicy).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(contentSecurityPolicy).toMatch(/default-src 'none'/);
  });
});
