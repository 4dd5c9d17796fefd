/**
 * Electron security constants shared by main.ts and the tests (Electron's security checklist,
 * docs/tutorial/security.md; numbers are its items). webPreferences are written out in main.ts.
 */
/** The scheme the renderer is served from (#18: no file://). */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://pktlab`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** #7: the CSP for the app:// pages (no WebSocket: Electron uses IPC). */
export const ELECTRON_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** #13/#17: only our own page may navigate or talk to main. */
export function isAppUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    return u.protocol === `${APP_SCHEME}:` && u.host === 'pktlab';
  } catch {
    return false;
  }
}
