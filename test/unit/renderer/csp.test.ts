import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../../src/core/process/project-root';
import { browserHostCsp } from '../../../src/host/web/server';

const root = findProjectRoot();

function directives(policy: string): Map<string, string> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name = '', ...values] = part.split(/\s+/);
        return [name, values.join(' ')];
      }),
  );
}

function pagePolicy(file: string): Map<string, string> {
  const html = readFileSync(join(root, 'src', 'renderer', file), 'utf8');
  const content = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
  expect(content, file).toBeDefined();
  return directives(content!);
}

describe('Content Security Policy', () => {
  it.each(['index.html', 'quick.html'])('%s may connect to its own origin only (the app talks over IPC)', (file) => {
    const policy = pagePolicy(file);
    expect(policy.get('connect-src')).toBe("'self'");
    expect(policy.get('script-src')).toBe("'self'");
    for (const value of policy.values()) expect(value).not.toMatch(/\*|https?:|wss?:/);
  });

  it("the browser host's header is as strict as the app's, with exactly its own WebSocket origin", () => {
    const app = pagePolicy('index.html');
    const host = directives(browserHostCsp('http://127.0.0.1:40123'));
    for (const [name, value] of app) if (name !== 'connect-src') expect(host.get(name), name).toBe(value);
    expect(host.get('connect-src')).toBe('ws://127.0.0.1:40123');
    expect(host.get('frame-ancestors')).toBe("'none'");
  });
});
