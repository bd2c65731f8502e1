import { join, normalize, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { findProjectRoot } from '../../../src/core/process/project-root';
import { dropDevRendererUrl, isOpenableExternalUrl, isOurPage, isTrustedSender, rendererUrl, resolveAppRequest, SECURE_WEB_PREFERENCES } from '../../../src/main/policy';
import { isAllowedWindowRequest } from '../../../src/main/request-gate';
import { quickRendererUrl } from '../../../src/main/quick-window';

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

describe('ELECTRON_RENDERER_URL (issue 13, item 8)', () => {
  const attacker = 'http://127.0.0.1:8666/';

  it('means nothing in a packaged app: windows, the request gate and the IPC check ignore it', () => {
    const env: NodeJS.ProcessEnv = { ELECTRON_RENDERER_URL: attacker };
    dropDevRendererUrl(env, true);
    expect(env.ELECTRON_RENDERER_URL).toBeUndefined();
    expect(rendererUrl(env)).toBe('app://burrow/index.html');
    expect(quickRendererUrl(env)).toBe('app://burrow/quick.html');
    expect(isOurPage(`${attacker}index.html`, env)).toBe(false);
    expect(isAllowedWindowRequest(`${attacker}evil.js`, env)).toBe(false);
    expect(isTrustedSender({ ownWindow: true, frameIsMainFrame: true, frameUrl: `${attacker}index.html` }, env)).toBe(false);
  });

  it('points at the dev server when not packaged, and only at an http address on loopback', () => {
    const dev: NodeJS.ProcessEnv = { ELECTRON_RENDERER_URL: 'http://localhost:5173' };
    dropDevRendererUrl(dev, false);
    expect(rendererUrl(dev)).toBe('http://localhost:5173');
    for (const value of ['https://evil.example/', 'http://evil.example:5173/', 'file:///tmp/evil.html', 'javascript:alert(1)', 'not a url']) {
      const env: NodeJS.ProcessEnv = { ELECTRON_RENDERER_URL: value };
      dropDevRendererUrl(env, false);
      expect(env.ELECTRON_RENDERER_URL, value).toBeUndefined();
    }
  });

  it('main drops it before anything else runs', () => {
    const main = readFileSync(join(findProjectRoot(), 'src', 'main', 'index.ts'), 'utf8');
    const call = main.indexOf('dropDevRendererUrl(process.env, app.isPackaged);');
    expect(call).toBeGreaterThan(0);
    for (const later of ['registerAppScheme()', 'prepareDesktopSwitches()', 'void start()']) expect(main.indexOf(later), later).toBeGreaterThan(call);
  });
});
