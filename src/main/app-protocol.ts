/**
 * The custom protocol the tray app's pages come from (Electron security checklist #18: a custom
 * protocol, not file://). Only the bundled renderer files are served; anything else is 404.
 * Pure: electron-facade.ts registers the scheme and reads the file this module names.
 */

/** Scheme of the app's pages. Registered as standard + secure before `app.ready`. */
export const appScheme = 'mng';
/** Host part of every page URL. */
export const appHost = 'tray';
/** Origin string pages are served from (`mng://tray`). */
export const appOrigin = `${appScheme}://${appHost}`;

/**
 * Content-Security-Policy of every page as a meta tag (src/renderer/index.html carries exactly
 * this; a test keeps them equal): scripts and styles only from our own origin, nothing inline, no
 * network, no frames, no forms, no plugins. The meta tag is there so the page is locked down even
 * when served by something else (the test harness).
 */
export const metaContentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "worker-src 'none'",
  "manifest-src 'none'",
].join('; ');

/**
 * The policy the protocol sends as a header: the meta policy plus `frame-ancestors`, which a
 * browser ignores (with a console error) when it comes in a meta tag (CSP3 §6.3.2).
 */
export const contentSecurityPolicy = `${metaContentSecurityPolicy}; frame-ancestors 'none'`;

/** Files under dist/electron/renderer/ the protocol serves, with their MIME types. */
export const appAssets: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'renderer.js': 'text/javascript; charset=utf-8',
  'renderer.css': 'text/css; charset=utf-8',
};

/** The screen a window opens on (the URL hash the renderer reads). */
export type AppScreen = 'lock' | 'status' | 'enrollment';

/** URL of the renderer page for one screen. */
export function appPageUrl(screen: AppScreen): string {
  return `${appOrigin}/index.html#${screen}`;
}

/** What the protocol handler answers for one request. */
export type AppAssetDecision =
  | { readonly ok: true; readonly file: string; readonly mimeType: string; readonly headers: Readonly<Record<string, string>> }
  | { readonly ok: false; readonly status: 404 | 405 };

/**
 * Decides what a request to the app scheme gets: one of {@link appAssets} (by exact name, so no
 * path can climb out of the renderer folder) or 404. Only GET.
 */
export function decideAppAsset(method: string, url: string): AppAssetDecision {
  if (method !== 'GET') return { ok: false, status: 405 };
  const parsed = parseAppUrl(url);
  if (parsed === null) return { ok: false, status: 404 };
  const name = parsed.pathname === '/' ? 'index.html' : parsed.pathname.slice(1);
  const mimeType = Object.hasOwn(appAssets, name) ? appAssets[name] : undefined;
  if (mimeType === undefined) return { ok: false, status: 404 };
  return {
    ok: true,
    file: name,
    mimeType,
    headers: {
      'Content-Type': mimeType,
      'Content-Security-Policy': contentSecurityPolicy,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-store',
    },
  };
}

/**
 * True when `url` belongs to our app origin. WHATWG URL gives `origin: "null"` for custom schemes,
 * so scheme and host are compared one by one; credentials and ports are refused outright.
 */
export function isAppUrl(url: string): boolean {
  return parseAppUrl(url) !== null;
}

function parseAppUrl(url: string): URL | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (_error) {
    // Not a URL at all: certainly not ours.
    return null;
  }
  if (parsed.protocol !== `${appScheme}:` || parsed.hostname !== appHost) return null;
  if (parsed.port !== '' || parsed.username !== '' || parsed.password !== '') return null;
  return parsed;
}
