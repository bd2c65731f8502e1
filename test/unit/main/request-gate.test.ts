import { describe, expect, it } from 'vitest';
import { blockRemoteRequests, isAllowedWindowRequest, type WebRequestLike } from '../../../src/main/request-gate';

const noDev = {} as NodeJS.ProcessEnv;
const dev = { ELECTRON_RENDERER_URL: 'http://localhost:5173' } as NodeJS.ProcessEnv;

describe('window request gate', () => {
  it('lets our own pages load and blocks everything remote', () => {
    expect(isAllowedWindowRequest('app://burrow/index.html', noDev)).toBe(true);
    expect(isAllowedWindowRequest('app://burrow/assets/index.js', noDev)).toBe(true);
    expect(isAllowedWindowRequest('data:image/png;base64,AAAA', noDev)).toBe(true);
    expect(isAllowedWindowRequest('blob:app://burrow/1234', noDev)).toBe(true);
    for (const url of ['https://example.com/', 'http://127.0.0.1:8080/', 'wss://example.com/socket', 'file:///etc/passwd', 'app://evil/index.html', 'ftp://example.com/', 'not a url']) {
      expect(isAllowedWindowRequest(url, noDev), url).toBe(false);
    }
  });

  it('allows the dev server only in development, and only its own host', () => {
    expect(isAllowedWindowRequest('http://localhost:5173/src/main.ts', dev)).toBe(true);
    expect(isAllowedWindowRequest('ws://localhost:5173/', dev)).toBe(true);
    expect(isAllowedWindowRequest('http://localhost:5173/src/main.ts', noDev)).toBe(false);
    expect(isAllowedWindowRequest('http://localhost:9999/', dev)).toBe(false);
  });

  it('cancels and reports blocked requests through the session hook', () => {
    let listener: Parameters<WebRequestLike['onBeforeRequest']>[0] | undefined;
    const blocked: string[] = [];
    blockRemoteRequests({ onBeforeRequest: (installed) => (listener = installed) }, (url) => blocked.push(url), noDev);
    const answers: boolean[] = [];
    listener!({ url: 'https://tracker.example/pixel.png' }, ({ cancel }) => answers.push(cancel));
    listener!({ url: 'app://burrow/index.html' }, ({ cancel }) => answers.push(cancel));
    expect(answers).toEqual([true, false]);
    expect(blocked).toEqual(['https://tracker.example/pixel.png']);
  });
});
