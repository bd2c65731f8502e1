/** The zero-egress guard must itself be able to fail: it records and blocks real attempts. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../../src/core/process/project-root';

const guard = join(findProjectRoot(), 'test', 'support', 'egress-guard.mjs');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-guard-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function runGuarded(script: string): { log: Array<{ kind: string; host: string; port: number }>; stdout: string } {
  const log = join(dir, 'egress.jsonl');
  const result = spawnSync(process.execPath, ['--import', guard, '--input-type=module', '-e', script], {
    env: { ...process.env, BURROW_EGRESS_LOG: log },
    encoding: 'utf8',
    timeout: 20_000,
  });
  let lines: string[] = [];
  try {
    lines = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    lines = [];
  }
  return { log: lines.map((line) => JSON.parse(line) as { kind: string; host: string; port: number }), stdout: result.stdout };
}

describe('egress guard', () => {
  it('records and blocks TCP, HTTP(S), fetch and UDP to non-loopback addresses before any packet is sent', () => {
    // 203.0.113.0/24 is TEST-NET-3: nothing is there, and the guard stops the attempt first anyway.
    const { log, stdout } = runGuarded(`
      import net from 'node:net'; import https from 'node:https'; import dgram from 'node:dgram';
      const seen = [];
      await new Promise((r) => net.connect(443, '203.0.113.7').on('error', (e) => { seen.push(e.message); r(); }));
      await new Promise((r) => https.get('https://203.0.113.8/x', () => {}).on('error', (e) => { seen.push(e.message); r(); }));
      await fetch('http://203.0.113.9/').catch((e) => seen.push(String(e.cause?.message ?? e.message)));
      await new Promise((r) => { const s = dgram.createSocket('udp4'); s.send('x', 53, '203.0.113.10', (e) => { seen.push(e?.message); s.close(); r(); }); });
      console.log(JSON.stringify(seen));
    `);
    expect(log.map((entry) => `${entry.kind} ${entry.host}:${entry.port}`)).toEqual(['tcp 203.0.113.7:443', 'tcp 203.0.113.8:443', 'tcp 203.0.113.9:80', 'udp 203.0.113.10:53']);
    const messages = JSON.parse(stdout) as string[];
    expect(messages.filter((message) => /egress guard/.test(message))).toHaveLength(4);
  });

  it('lets loopback connections through', () => {
    const { log, stdout } = runGuarded(`
      import http from 'node:http';
      const server = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', async () => {
        const text = await (await fetch('http://127.0.0.1:' + server.address().port + '/')).text();
        console.log(text); server.close();
      });
    `);
    expect(stdout.trim()).toBe('ok');
    expect(log).toEqual([]);
  });
});
