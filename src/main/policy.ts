/**
 * Electron security policy as plain data and functions (no electron import), so it is unit-tested
 * under plain Node. windows.ts, protocol.ts and index.ts apply it.
 */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://burrow`;

export const SECURE_WEB_PREFERENCES = Object.freeze({
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  spellcheck: false,
} as const);

/**
 * `ELECTRON_RENDERER_URL` points the windows at electron-vite's dev server in `npm run dev`.
 * In an installed app it must mean nothing: whoever can set a variable in the user's session
 * could otherwise have Burrow load their page, with our preload and IPC. Honoured only when the
 * app is not packaged, and only for an http address on loopback. Run first thing in main.
 */
export function dropDevRendererUrl(env: NodeJS.ProcessEnv, isPackaged: boolean): void {
  const value = env.ELECTRON_RENDERER_URL;
  if (value === undefined) return;
  if (isPackaged || !isLoopbackHttp(value)) delete env.ELECTRON_RENDERER_URL;
}

function isLoopbackHttp(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}

/** Where our pages come from: app:// when built, the electron-vite dev server in `npm run dev`. */
export function rendererUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.ELECTRON_RENDERER_URL ?? `${APP_ORIGIN}/index.html`;
}

export function isOurPage(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  try {
    const { origin, protocol, host } = new URL(url);
    if (protocol === `${APP_SCHEME}:`) return host === 'burrow';
    const dev = env.ELECTRON_RENDERER_URL;
    return dev !== undefined && origin === new URL(dev).origin;
  } catch {
    return false;
  }
}

/** IPC is served only to the main frame of one of our windows showing one of our pages. */
export function isTrustedSender(sender: { frameIsMainFrame: boolean; frameUrl: string | undefined; ownWindow: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return sender.ownWindow && sender.frameIsMainFrame && sender.frameUrl !== undefined && isOurPage(sender.frameUrl, env);
}

/** Links in answers: only https opens (in the system browser, after the user confirms). */
export function isOpenableExternalUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

/** The file an app:// request may read, or null: never outside the renderer folder. */
export function resolveAppRequest(url: string, rendererDir: string, join: (...parts: string[]) => string, normalize: (path: string) => string, sep: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== 'burrow') return null;
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return null;
  }
  const root = normalize(rendererDir);
  const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
  return file.startsWith(root + sep) ? file : null;
}
