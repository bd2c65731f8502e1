/** Settings → Local API's plain parts: key masking, the curl line, field parsing, the log's merge and order. */
import { describe, expect, it } from 'vitest';
import type { ApiRequestEntry } from '../../../src/shared/contract';
import { ApiConfigPatch } from '../../../src/shared/contract';
import { curlExample, formatDuration, isLoopbackHost, maskKey, mergeRequests, parseHost, parseOrigins, parsePort, statusTone } from '../../../src/renderer/lib/local-api';

function entry(at: number, endpoint = '/v1/models', status = 200): ApiRequestEntry {
  return { at, client: '127.0.0.1 curl/8.5.0', method: 'GET', endpoint, status, tokens: null, durationMs: 3 };
}

describe('local API helpers', () => {
  it('masks the key, keeping only its start, and never the whole of it', () => {
    const key = 'sk-burrow-0123456789abcdef0123456789abcdef';
    const masked = maskKey(key);
    expect(masked.startsWith('sk-burr')).toBe(true);
    expect(masked).not.toContain('0123456789');
    expect(masked).toMatch(/•{8,}/);
    expect(maskKey('')).toBe('');
    expect(maskKey('abc')).not.toBe('abc');
  });

  it('writes a curl line with the URL and the key from the environment', () => {
    expect(curlExample('http://127.0.0.1:1337/v1')).toBe('curl http://127.0.0.1:1337/v1/models -H "Authorization: Bearer $BURROW_API_KEY"');
  });

  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost', 'LOCALHOST']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '192.168.1.20', '::', '10.0.0.1']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('parses a port, refusing what is not one with a clear message', () => {
    expect(parsePort(' 8080 ')).toEqual({ ok: true, value: 8080 });
    for (const text of ['0', '65536', '', 'abc', '12.5', '-1', '999999']) expect(parsePort(text)).toMatchObject({ ok: false, message: expect.stringMatching(/1 to 65535/) });
  });

  it('parses an address the contract accepts', () => {
    expect(parseHost(' 0.0.0.0 ')).toEqual({ ok: true, value: '0.0.0.0' });
    expect(parseHost('::1')).toEqual({ ok: true, value: '::1' });
    expect(parseHost('example.com')).toMatchObject({ ok: false });
    expect(parseHost('')).toMatchObject({ ok: false });
  });

  it('parses origins one per line or comma-separated, dropping blanks, duplicates and a trailing slash; the result passes the contract', () => {
    const parsed = parseOrigins('http://localhost:5173/\n\n https://app.example.org , http://localhost:5173');
    expect(parsed).toEqual({ ok: true, value: ['http://localhost:5173', 'https://app.example.org'] });
    if (parsed.ok) expect(ApiConfigPatch.safeParse({ origins: parsed.value }).success).toBe(true);
    expect(parseOrigins('')).toEqual({ ok: true, value: [] });
    expect(parseOrigins('localhost:5173')).toMatchObject({ ok: false, message: expect.stringContaining('localhost:5173') });
    expect(parseOrigins('http://localhost:5173/app')).toMatchObject({ ok: false });
    expect(parseOrigins(Array.from({ length: 33 }, (_, index) => `http://host${index}`).join('\n'))).toMatchObject({ ok: false, message: expect.stringMatching(/32/) });
  });

  it('formats durations and status tones', () => {
    expect(formatDuration(12.4)).toBe('12 ms');
    expect(formatDuration(1534)).toBe('1.53 s');
    expect(formatDuration(65_000)).toBe('1 min 5 s');
    expect([200, 400, 401, 429, 500].map(statusTone)).toEqual(['ok', 'client', 'client', 'client', 'server']);
  });

  it('merges the listed log with live entries: newest first, no entry twice, at most the limit', () => {
    const a = entry(1000);
    const b = entry(2000, '/v1/chat/completions');
    const c = entry(3000, '/v1/models', 401);
    expect(mergeRequests([a, b], [b, c])).toEqual([c, b, a]);
    // Two entries in the same millisecond keep the order they were logged in, newest first.
    const d = entry(3000, '/v1/embeddings');
    expect(mergeRequests([c], [d])).toEqual([d, c]);
    expect(mergeRequests([a, b, c], [], 2)).toEqual([c, b]);
  });
});
