import { join, normalize, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isOpenableExternalUrl, isOurPage, isTrustedSender, rendererUrl, resolveAppRequest, SECURE_WEB_PREFERENCES } from '../../../src/main/policy';

const noDev = {} as NodeJS.ProcessEnv;

describe('Electron policy', () => {
  it('every window is sandboxed, isolated, without Node, with web security on', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
    });
    expect(Object.isFrozen(SECURE_WEB_PREFERENCES)).toBe(true);
  });

  it('loads pages from app://, or from the dev server only when one is configured', () => {
    expect(rendererUrl(noDev)).toBe('app://burrow/index.html');
    expect(isOurPage('app://burrow/index.html', noDev)).toBe(true);
    expect(isOurPage('app://other/index.html', noDev)).toBe(false);
    expect(isOurPage('file:///etc/passwd', noDev)).toBe(false);
    expect(isOurPage('http://localhost:5173/', noDev)).toBe(false);
    expect(isOurPage('http://localhost:5173/', { ELECTRON_RENDERER_URL: 'http://localhost:5173' } as NodeJS.ProcessEnv)).toBe(true);
    expect(isOurPage('not a url', noDev)).toBe(false);
  });

  it('serves IPC only to the main frame of our own window on our own page', () => {
    const ok = { ownWindow: true, frameIsMainFrame: true, frameUrl: 'app://burrow/index.html' };
    expect(isTrustedSender(ok, noDev)).toBe(true);
    expect(isTrustedSender({ ...ok, frameIsMainFrame: false }, noDev)).toBe(false);
    expect(isTrustedSender({ ...ok, ownWindow: false }, noDev)).toBe(false);
    expect(isTrustedSender({ ...ok, frameUrl: 'https://example.com/' }, noDev)).toBe(false);
    expect(isTrustedSender({ ...ok, frameUrl: undefined }, noDev)).toBe(false);
  });

  it('opens only https links externally', () => {
    expect(isOpenableExternalUrl('https://example.com/a')).toBe(true);
    for (const url of ['http://example.com', 'javascript:alert(1)', 'file:///etc/passwd', 'smb://host/share', 'data:text/html,hi', '']) {
      expect(isOpenableExternalUrl(url), url).toBe(false);
    }
  });

  it('app:// requests resolve inside the renderer folder and nowhere else', () => {
    const root = join(sep, 'opt', 'burrow', 'renderer');
    const resolve = (url: string): string | null => resolveAppRequest(url, root, join, normalize, sep);
    expect(resolve('app://burrow/')).toBe(join(root, 'index.html'));
    expect(resolve('app://burrow/assets/index.js')).toBe(join(root, 'assets', 'index.js'));
    expect(resolve('app://burrow/..%2f..%2fsecret')).toBeNull();
    // The URL parser folds dot segments first, so this one lands inside the folder.
    expect(resolve('app://burrow/%2e%2e/%2e%2e/etc/passwd')).toBe(join(root, 'etc', 'passwd'));
    expect(resolve('app://other/index.html')).toBeNull();
    expect(resolve('app://burrow/%E0%A4%A')).toBeNull();
  });
});
