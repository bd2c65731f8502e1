/**
 * Every Chromium session blocks any request that is not one of our own pages' (SECURITY.md item
 * 22–23): the pages are served from app://, model downloads happen in the core through the egress
 * gate, so a window asking for anything remote is a bug or an attack — blocked and logged.
 */
import { isOurPage } from './policy';

const LOCAL_SCHEMES = new Set(['app:', 'data:', 'blob:', 'devtools:', 'chrome-extension:']);

/** Whether a request made by a window may proceed. Pure, so it is unit-tested without Electron. */
export function isAllowedWindowRequest(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol === 'app:') return isOurPage(url, env);
  if (LOCAL_SCHEMES.has(parsed.protocol)) return true;
  // `npm run dev`: the electron-vite dev server (and its hot-reload socket) on loopback.
  const dev = env.ELECTRON_RENDERER_URL;
  if (dev !== undefined && (parsed.protocol === 'http:' || parsed.protocol === 'ws:')) {
    return parsed.host === new URL(dev).host;
  }
  return false;
}

export interface WebRequestLike {
  onBeforeRequest(listener: (details: { url: string }, callback: (response: { cancel: boolean }) => void) => void): void;
}

/** Installs the block on a session's webRequest; `onBlocked` feeds the in-app network log. */
export function blockRemoteRequests(webRequest: WebRequestLike, onBlocked: (url: string) => void, env: NodeJS.ProcessEnv = process.env): void {
  webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedWindowRequest(details.url, env);
    if (!allowed) onBlocked(details.url);
    callback({ cancel: !allowed });
  });
}
