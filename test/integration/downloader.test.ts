/**
 * Downloads that always finish (SECURITY.md items 13 and 23), against a loopback stand-in for
 * the model host that drops, corrupts, cuts, stalls and redirects on request. No test here
 * touches the network.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { loadCatalog } from '../../src/core/models/catalog';
import { ModelDownloader, type ModelDownloaderOptions } from '../../src/core/models/downloader';
import { EgressGate, MODEL_HOSTS } from '../../src/core/net/egress';
import type { CatalogEntry, DownloadStatus } from '../../src/shared/contract';
import { freeLoopbackPort } from '../support/free-port';
import { startModelServer, type ModelServer } from '../support/model-server';
import { tinyModelPath } from '../support/tiny-model';

const REVISION = '0123456789abcdef0123456789abcdef01234567';
let model: Buffer;
let modelSha: string;
let server: ModelServer;
let dir: string;
let modelsDir: string;
let gate: EgressGate;
const downloaders: ModelDownloader[] = [];

function entry(id: string, file: string, sha256: string | null): CatalogEntry {
  return {
    id,
    name: `Test ${id}`,
    description: 'A tiny model served from 127.0.0.1.',
    repo: 'burrow-test/tiny-GGUF',
    revision: REVISION,
    file,
    sizeBytes: model.length,
    sha256,
    licence: 'MIT',
    licenceUrl: 'https://example.com/licence',
    parameters: '4M',
    quantisation: 'F32',
    ramBytes: 100_000_000,
    contextLength: 2048,
    recommended: sha256 !== null,
  };
}

const PINNED = 'tiny-pinned';
const UNPINNED = 'tiny-unpinned';
const pinnedPath = `/burrow-test/tiny-GGUF/resolve/${REVISION}/tiny-pinned.gguf`;
const unpinnedPath = `/burrow-test/tiny-GGUF/resolve/${REVISION}/tiny-unpinned.gguf`;

function downloader(options: Partial<ModelDownloaderOptions> = {}): ModelDownloader {
  const created = new ModelDownloader({
    gate,
    modelsDir,
    mirror: server.base,
    stallTimeoutMs: 5_000,
    retry: { attempts: 3, initialDelayMs: 5, maxDelayMs: 20 },
    progressIntervalMs: 10,
    catalog: [entry(PINNED, 'tiny-pinned.gguf', modelSha), entry(UNPINNED, 'tiny-unpinned.gguf', null)],
    ...options,
  });
  downloaders.push(created);
  return created;
}

async function download(downloads: ModelDownloader, catalogId = PINNED): Promise<DownloadStatus> {
  return downloads.settled(downloads.start(catalogId).downloadId);
}

/** Resolves once a download has at least `bytes` on disk (for pausing it mid-way). */
function reached(downloads: ModelDownloader, bytes: number): Promise<DownloadStatus> {
  return new Promise((resolve) => {
    const unsubscribe = downloads.onStatus((status) => {
      if (status.bytesDone < bytes) return;
      unsubscribe();
      resolve(status);
    });
  });
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function modelFiles(): string[] {
  return readdirSync(modelsDir).filter((name) => name !== '.partial');
}

function partialFiles(): string[] {
  const partial = join(modelsDir, '.partial');
  return existsSync(partial) ? readdirSync(partial) : [];
}

function expectNothingSaved(): void {
  expect(modelFiles()).toEqual([]);
  expect(partialFiles()).toEqual([]);
}

const requestsFor = (path: string): ModelServer['requests'] => server.requests.filter((request) => request.path === path);
const half = (): number => Math.floor(model.length * 0.5);

/**
 * The offset a resumed request asked for. After a dropped connection the client may not have
 * read the last chunks the server wrote (an errored stream discards what it had queued), so a
 * drop at 50 % resumes at or a little before 50 %.
 */
function rangeStart(range: string | undefined): number {
  const match = /^bytes=(\d+)-$/.exec(range ?? '');
  expect(match, `Range header ${range}`).not.toBeNull();
  return Number(match?.[1]);
}

beforeAll(() => {
  model = readFileSync(tinyModelPath({ dims: 256, layers: 4 }));
  modelSha = createHash('sha256').update(model).digest('hex');
});

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-download-'));
  modelsDir = join(dir, 'models');
  server = await startModelServer();
  server.serve(pinnedPath, model);
  server.serve(unpinnedPath, model);
  gate = new EgressGate({ extraAllowedHosts: ['127.0.0.1'] });
});

afterEach(async () => {
  await Promise.all(downloaders.splice(0).map((created) => created.dispose()));
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('ModelDownloader', () => {
  it('downloads a catalog model, checks it and moves it into the models folder', async () => {
    const done = await download(downloader());
    expect(done).toMatchObject({ state: 'done', bytesDone: model.length, totalBytes: model.length, percent: 100, sha256: modelSha, sha256Source: 'pinned', error: null });
    expect(done.path).toBe(join(modelsDir, 'tiny-pinned.gguf'));
    expect(sha256(join(modelsDir, 'tiny-pinned.gguf'))).toBe(modelSha);
    expect(partialFiles()).toEqual([]);
    expect(requestsFor(pinnedPath)).toHaveLength(1);
    expect(requestsFor(pinnedPath)[0]?.acceptEncoding).toMatch(/identity/);
    expect(gate.log()).toMatchObject([{ url: `${server.base}${pinnedPath}`, reason: 'model download', allowed: true }]);
  });

  it('interrupted at 50 % then resumed: completes with the right SHA-256, the second request asks for the rest', async () => {
    server.inject(pinnedPath, { kind: 'drop', fraction: 0.5 });
    const done = await download(downloader());
    expect(done).toMatchObject({ state: 'done', attempt: 2 });
    expect(sha256(join(modelsDir, 'tiny-pinned.gguf'))).toBe(modelSha);
    const [first, second] = requestsFor(pinnedPath);
    expect(first?.range).toBeUndefined();
    expect(rangeStart(second?.range)).toBeGreaterThan(half() * 0.9);
    expect(rangeStart(second?.range)).toBeLessThanOrEqual(half());
  });

  it('a server that ignores Range (200 instead of 206) makes the download start over, still correct', async () => {
    server.inject(pinnedPath, { kind: 'drop', fraction: 0.5 });
    server.inject(pinnedPath, { kind: 'ignore-range' });
    const done = await download(downloader());
    expect(done.state).toBe('done');
    expect(sha256(join(modelsDir, 'tiny-pinned.gguf'))).toBe(modelSha);
  });

  it('one flipped byte: rejected as corrupted, temp deleted, nothing in the library', async () => {
    server.inject(pinnedPath, { kind: 'flip-byte' });
    const failed = await download(downloader());
    expect(failed).toMatchObject({ state: 'failed', canResume: false, path: null });
    expect(failed.error?.message).toBe('The download was corrupted (checksum mismatch). Nothing was saved. Try again.');
    expectNothingSaved();
  });

  it('a truncated body: rejected, saying where it stopped', async () => {
    server.inject(pinnedPath, { kind: 'truncate', fraction: 0.5 });
    const failed = await download(downloader());
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toMatch(/^The download stopped at 50 %: the server ended the file early\. Nothing was saved/);
    expectNothingSaved();
  });

  it('a wrong Content-Length: rejected before the body is kept', async () => {
    server.inject(pinnedPath, { kind: 'wrong-length', delta: 1000 });
    const failed = await download(downloader());
    expect(failed.state).toBe('failed');
    expect(failed.error?.message).toMatch(/server's copy of this model is .* but it should be/);
    expectNothingSaved();
  });

  it('an HTML error page with status 200: rejected as a web page, by its type or by its first bytes', async () => {
    server.inject(pinnedPath, { kind: 'html' });
    const byType = await download(downloader());
    expect(byType).toMatchObject({ state: 'failed', error: { message: 'The server sent a web page instead of the model file. Nothing was saved. Try again.' } });
    expectNothingSaved();

    server.inject(pinnedPath, { kind: 'html', contentType: 'application/octet-stream' });
    const byBytes = await download(downloader());
    expect(byBytes.error?.message).toMatch(/web page instead of the model file/);
    expectNothingSaved();
  });

  it('404: a clear error at once, no retries', async () => {
    server.inject(pinnedPath, { kind: 'status', status: 404 });
    const failed = await download(downloader());
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'not_found' } });
    expect(failed.error?.message).toMatch(/not found on the server \(HTTP 404\)/);
    expect(requestsFor(pinnedPath)).toHaveLength(1);
    expectNothingSaved();
  });

  it('a stalled connection is abandoned after the stall timeout and retried from where it stopped', async () => {
    server.inject(pinnedPath, { kind: 'stall', fraction: 0.3 });
    const done = await download(downloader({ stallTimeoutMs: 300 }));
    expect(done).toMatchObject({ state: 'done', attempt: 2 });
    expect(sha256(join(modelsDir, 'tiny-pinned.gguf'))).toBe(modelSha);
    expect(requestsFor(pinnedPath)[1]?.range).toBe(`bytes=${Math.floor(model.length * 0.3)}-`);
  });

  it('gives up after the retry budget with the bytes kept, and resume then finishes', async () => {
    server.inject(pinnedPath, { kind: 'drop', fraction: 0.5 }, 3);
    const downloads = downloader();
    const failed = await download(downloads);
    expect(failed).toMatchObject({ state: 'failed', canResume: true });
    expect(failed.bytesDone).toBeGreaterThan(half() * 0.9);
    expect(failed.bytesDone).toBeLessThanOrEqual(half());
    // The percentage of what was kept: how much of the half sent before each drop reaches the file depends on the machine's load.
    const keptPercent = Math.floor((failed.bytesDone / model.length) * 100);
    expect(keptPercent).toBeGreaterThanOrEqual(45);
    expect(failed.error?.message).toMatch(new RegExp(`^The download stopped at ${keptPercent} %: the connection to 127\\.0\\.0\\.1:\\d+ was cut, 3 times in a row\\. What was downloaded is kept\\.$`));
    expect(partialFiles()).toContain('tiny-pinned.gguf.part');
    expect(modelFiles()).toEqual([]);

    const done = await downloads.settled(downloads.resume(failed.downloadId).downloadId);
    expect(done.state).toBe('done');
    expect(sha256(join(modelsDir, 'tiny-pinned.gguf'))).toBe(modelSha);
  });

  it('pause keeps the bytes and stops the traffic; resume continues with a Range request', async () => {
    server.inject(pinnedPath, { kind: 'stall', fraction: 0.5 });
    const downloads = downloader();
    const { downloadId } = downloads.start(PINNED);
    await reached(downloads, half());
    const paused = await downloads.pause(downloadId);
    expect(paused).toMatchObject({ state: 'paused', canResume: true, bytesDone: half(), bytesPerSecond: null });
    expect(statSync(join(modelsDir, '.partial', 'tiny-pinned.gguf.part')).size).toBe(half());
    expect(requestsFor(pinnedPath)).toHaveLength(1);

    downloads.resume(downloadId);
    const done = await downloads.settled(downloadId);
    expect(done.state).toBe('done');
    expect(requestsFor(pinnedPath)[1]?.range).toBe(`bytes=${half()}-`);
    expect(sha256(join(modelsDir, 'tiny-pinned.gguf'))).toBe(modelSha);
  });

  it('cancel stops the download and deletes the temporary file', async () => {
    server.inject(pinnedPath, { kind: 'stall', fraction: 0.5 });
    const downloads = downloader();
    const { downloadId } = downloads.start(PINNED);
    await reached(downloads, half());
    expect(partialFiles()).toContain('tiny-pinned.gguf.part');
    const cancelled = await downloads.cancel(downloadId);
    expect(cancelled).toMatchObject({ state: 'cancelled', canResume: false });
    expectNothingSaved();
  });

  it('continues after a restart: a new downloader on the same folder lists it paused, without traffic, and resumes it', async () => {
    server.inject(pinnedPath, { kind: 'stall', fraction: 0.5 });
    const first = downloader();
    const { downloadId } = first.start(PINNED);
    await reached(first, half());
    await first.dispose();

    const second = downloader();
    const restored = await second.resumeAll();
    expect(restored).toMatchObject([{ downloadId, catalogId: PINNED, state: 'paused', bytesDone: half(), canResume: true }]);
    expect(requestsFor(pinnedPath)).toHaveLength(1);

    second.resume(downloadId);
    const done = await second.settled(downloadId);
    expect(done.state).toBe('done');
    expect(requestsFor(pinnedPath)[1]?.range).toBe(`bytes=${half()}-`);
    expect(sha256(join(modelsDir, 'tiny-pinned.gguf'))).toBe(modelSha);
  });

  it('without a pinned SHA-256, uses the one the host reports for the revision (x-linked-etag) and says so', async () => {
    server.serve('/cdn/blob', model);
    server.inject(unpinnedPath, { kind: 'redirect', location: '/cdn/blob?X-Amz-Signature=secret', headers: { 'x-linked-etag': `"${modelSha}"`, 'x-linked-size': String(model.length) } });
    const done = await download(downloader(), UNPINNED);
    expect(done).toMatchObject({ state: 'done', sha256: modelSha, sha256Source: 'host' });

    // …and a file that does not match what the host reported is rejected.
    server.inject(unpinnedPath, { kind: 'redirect', location: '/cdn/blob', headers: { 'x-linked-etag': `"${'0'.repeat(64)}"` } });
    rmSync(join(modelsDir, 'tiny-unpinned.gguf'));
    const failed = await download(downloader(), UNPINNED);
    expect(failed.error?.message).toMatch(/checksum mismatch/);
    expectNothingSaved();
  });

  it('without any SHA-256 to check against, a catalog model is not saved', async () => {
    const failed = await download(downloader(), UNPINNED);
    expect(failed.error?.message).toMatch(/could not check this download/);
    expectNothingSaved();
  });

  it('progress events carry bytes, percent, speed and time left, and are throttled', async () => {
    server.inject(pinnedPath, { kind: 'stall', fraction: 0.2 });
    const downloads = downloader({ progressIntervalMs: 100, stallTimeoutMs: 400 });
    const seen: Array<{ at: number; status: DownloadStatus }> = [];
    downloads.onStatus((status) => seen.push({ at: Date.now(), status }));
    await download(downloads);
    const states = seen.map(({ status }) => status.state);
    expect(states[0]).toBe('queued');
    expect(states.slice(-2)).toEqual(['verifying', 'done']);
    const progress = seen.filter(({ status }) => status.state === 'downloading' && status.error === null);
    for (let index = 1; index < progress.length; index++) {
      expect((progress[index]?.at ?? 0) - (progress[index - 1]?.at ?? 0)).toBeGreaterThanOrEqual(90);
    }
    expect(progress.some(({ status }) => status.bytesPerSecond !== null && status.bytesPerSecond > 0 && status.secondsLeft !== null)).toBe(true);
    expect(progress.every(({ status }) => status.percent !== null && status.percent >= 0 && status.percent <= 100)).toBe(true);
  });
});

describe('the egress gate on downloads', () => {
  it('offline mode blocks the download, and the log shows the blocked attempt', async () => {
    gate.offline = true;
    const failed = await download(downloader());
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'refused' } });
    expect(failed.error?.message).toMatch(/Offline mode is on/);
    expect(server.requests).toEqual([]);
    expect(gate.log()).toMatchObject([{ url: `${server.base}${pinnedPath}`, allowed: false, blockedBecause: 'Offline mode is on.' }]);
  });

  it('a computer that cannot resolve the host is told so at once, in plain words, without retries', async () => {
    // What undici throws when DNS finds nothing (an offline computer): the network layer fails, the downloader is real.
    const offlineGate = new EgressGate({
      extraAllowedHosts: ['127.0.0.1'],
      fetch: () => Promise.reject(Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND 127.0.0.1'), { code: 'ENOTFOUND' }) })),
    });
    const failed = await download(downloader({ gate: offlineGate, retry: { attempts: 6, initialDelayMs: 2_000, maxDelayMs: 8_000 } }));
    expect(failed).toMatchObject({ state: 'failed', attempt: 1, error: { code: 'offline' } });
    expect(failed.error?.message).toBe(`Burrow could not reach ${new URL(server.base).host}: this computer seems to be offline, or a firewall blocks it.`);
    expect(failed.error?.message).not.toMatch(/ENOTFOUND|in a row/);
  });

  it('a refused connection (nothing listening) is retried, then named with its host', async () => {
    const port = await freeLoopbackPort();
    const failed = await download(downloader({ mirror: `http://127.0.0.1:${port}` }));
    expect(failed).toMatchObject({ state: 'failed', attempt: 3, canResume: false });
    expect(failed.error?.message).toMatch(new RegExp(`^The download stopped at 0 %: 127\\.0\\.0\\.1:${port} refused the connection, 3 times in a row\\.$`));
  });

  it('a host not on the allow-list is refused, before anything is sent', async () => {
    const failed = await download(downloader({ mirror: server.url('', 'localhost') }));
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'refused' } });
    expect(server.requests).toEqual([]);
    expect(gate.log().at(-1)).toMatchObject({ allowed: false, blockedBecause: 'localhost is not a model host Burrow may contact.' });
  });

  it('every redirect hop is checked and logged, without the query', async () => {
    server.serve('/cdn/blob', model);
    server.inject(pinnedPath, { kind: 'redirect', location: '/cdn/blob?X-Amz-Signature=secret' });
    expect((await download(downloader())).state).toBe('done');
    expect(gate.log()).toMatchObject([
      { url: `${server.base}${pinnedPath}`, reason: 'model download', allowed: true },
      { url: `${server.base}/cdn/blob`, reason: 'model download (redirect)', allowed: true },
    ]);
    expect(JSON.stringify(gate.log())).not.toContain('secret');

    rmSync(join(modelsDir, 'tiny-pinned.gguf'));
    server.inject(pinnedPath, { kind: 'redirect', location: server.url('/cdn/blob', 'localhost') });
    const failed = await download(downloader());
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'refused' } });
    expect(requestsFor('/cdn/blob')).toHaveLength(1); // only the first, allowed, redirect reached it
    expect(gate.log().at(-1)).toMatchObject({ url: server.url('/cdn/blob', 'localhost'), allowed: false });
  });

  it('policy: model hosts over HTTPS only; loopback only when allowed; listeners see each attempt', () => {
    const strict = new EgressGate();
    const allowed = (url: string): boolean => strict.check(new URL(url)).allowed;
    expect(allowed('https://huggingface.co/x')).toBe(true);
    expect(allowed('https://cas-bridge.xethub.hf.co/x')).toBe(true);
    expect(allowed('https://cdn-lfs.huggingface.co/x')).toBe(true);
    expect(allowed('http://huggingface.co/x')).toBe(false);
    expect(allowed('https://evilhf.co/x')).toBe(false);
    expect(allowed('https://huggingface.co.evil.example/x')).toBe(false);
    expect(allowed('https://user:pw@huggingface.co/x')).toBe(false);
    expect(allowed('http://127.0.0.1:8080/x')).toBe(false);
    expect(strict.check(new URL('https://example.com/model.gguf'), { userHost: 'example.com' }).allowed).toBe(true);
    expect(strict.check(new URL('http://example.com/model.gguf'), { userHost: 'example.com' }).allowed).toBe(false);
    expect(MODEL_HOSTS).toContain('huggingface.co');

    const bounded = new EgressGate({ offline: true, maxLogEntries: 3 });
    const heard: string[] = [];
    bounded.onAttempt((attempt) => heard.push(attempt.url));
    return Promise.all(
      [1, 2, 3, 4, 5].map((n) => bounded.request(`https://huggingface.co/${n}?token=secret`, {}, 'test').then(
        () => expect.unreachable(),
        (error: unknown) => expect(error).toMatchObject({ code: 'refused' }),
      )),
    ).then(() => {
      expect(heard).toEqual([1, 2, 3, 4, 5].map((n) => `https://huggingface.co/${n}`));
      expect(bounded.log().map((entry) => entry.url)).toEqual([3, 4, 5].map((n) => `https://huggingface.co/${n}`));
    });
  });
});

describe('the bundled catalog', () => {
  it('parses, pins every entry to a commit and recommends TinyLlama', () => {
    const catalog = loadCatalog();
    expect(catalog.length).toBeGreaterThanOrEqual(3);
    const recommended = catalog.filter((candidate) => candidate.recommended);
    expect(recommended).toMatchObject([{ repo: 'TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF', file: 'tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf', sizeBytes: 668_788_096 }]);
    for (const candidate of catalog) expect(candidate.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(() => loadCatalog({ version: 1, entries: [...catalog, catalog[0]] })).toThrow(/twice/);
  });
});

describe('through the contract', () => {
  it('the UI names a catalog entry (never a URL); progress and network attempts arrive as events; the log lists them', async () => {
    const assistant = createAssistant({
      dataDir: dir,
      spawnEngine: spawnNodeEngine(),
      autoLoadLastModel: false,
      pickModelFile: () => Promise.resolve(null),
      modelMirror: server.base,
      egress: { extraAllowedHosts: [] },
    });
    const events: Array<[string, unknown]> = [];
    assistant.subscribe((name, payload) => events.push([name, payload]));
    try {
      const catalog = await assistant.router.call('models.catalog', {});
      expect(catalog.ok && (catalog.value as CatalogEntry[]).length).toBeGreaterThanOrEqual(3);
      expect(await assistant.router.call('models.download', { catalogId: 'x', url: 'https://evil.example/x.gguf' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      expect(await assistant.router.call('models.pauseDownload', { downloadId: 'nope' })).toMatchObject({ ok: false, error: { code: 'not_found' } });

      // The bundled TinyLlama entry, from the mirror: this stand-in serves the wrong bytes, so it fails cleanly.
      const tiny = loadCatalog().find((candidate) => candidate.recommended);
      const path = `/${tiny?.repo}/resolve/${tiny?.revision}/${tiny?.file}`;
      server.serve(path, model);
      const started = await assistant.router.call('models.download', { catalogId: tiny?.id });
      expect(started.ok).toBe(true);
      const downloadId = started.ok ? (started.value as { downloadId: string }).downloadId : '';
      const failed = await assistant.downloads.settled(downloadId);
      expect(failed).toMatchObject({ state: 'failed', catalogId: tiny?.id });
      expect(requestsFor(path)).toHaveLength(1);
      const log = await assistant.router.call('network.log', {});
      expect(log).toMatchObject({ ok: true, value: [{ url: `${server.base}${path}`, reason: 'model download', allowed: true }] });
      expect(events.filter(([name]) => name === 'network.attempt')).toHaveLength(1);
      expect(events.filter(([name]) => name === 'download.progress').map(([, status]) => (status as DownloadStatus).state)).toEqual(expect.arrayContaining(['queued', 'downloading', 'failed']));
      const listed = await assistant.router.call('models.downloads', {});
      expect(listed).toMatchObject({ ok: true, value: [{ downloadId, state: 'failed' }] });

      // A model already in the models folder is "done" at once, with no traffic, and may be loaded.
      mkdirSync(join(dir, 'models'), { recursive: true });
      copyFileSync(tinyModelPath(), join(dir, 'models', tiny?.file ?? 'x.gguf'));
      const again = await assistant.router.call('models.download', { catalogId: tiny?.id });
      const done = assistant.downloads.status(again.ok ? (again.value as { downloadId: string }).downloadId : '');
      expect(done).toMatchObject({ state: 'done', path: join(dir, 'models', tiny?.file ?? '') });
      expect(requestsFor(path)).toHaveLength(1);
      expect(assistant.models.recent()).toContain(realpathSync(join(dir, 'models', tiny?.file ?? '')));
    } finally {
      await assistant.dispose();
    }
  });

  it('offline mode from settings pauses a running download, refuses to resume it, and is still on after a restart', async () => {
    const start = (): ReturnType<typeof createAssistant> =>
      createAssistant({
        dataDir: dir,
        spawnEngine: spawnNodeEngine(),
        autoLoadLastModel: false,
        pickModelFile: () => Promise.resolve(null),
        modelMirror: server.base,
        modelCatalog: [entry(PINNED, 'tiny-pinned.gguf', modelSha)],
        egress: { extraAllowedHosts: [] },
      });
    const path = pinnedPath;
    server.inject(path, { kind: 'stall', fraction: 0.5 });
    let assistant = start();
    try {
      expect(assistant.egress.offline).toBe(false);
      const started = await assistant.router.call('models.download', { catalogId: PINNED });
      const downloadId = started.ok ? (started.value as { downloadId: string }).downloadId : '';
      // Progress is throttled in the app: any bytes at all mean the transfer is under way.
      await reached(assistant.downloads, 1);

      expect(await assistant.router.call('settings.set', { patch: { offlineMode: true } })).toMatchObject({ ok: true, value: { offlineMode: true } });
      expect(assistant.egress.offline).toBe(true);
      // Settled as soon as the pause is announced; pauseAll (again) waits until the transfer has let go.
      await assistant.downloads.settled(downloadId);
      await assistant.downloads.pauseAll();
      const paused = assistant.downloads.status(downloadId);
      expect(paused).toMatchObject({ state: 'paused', canResume: true });
      expect(paused.bytesDone).toBeGreaterThan(0);

      assistant.downloads.resume(downloadId);
      const refused = await assistant.downloads.settled(downloadId);
      expect(refused).toMatchObject({ state: 'failed', error: { message: expect.stringContaining('Offline mode is on') } });
      expect(requestsFor(path)).toHaveLength(1);
      const log = await assistant.router.call('network.log', {});
      expect(log.ok && (log.value as Array<{ allowed: boolean; blockedBecause?: string }>).at(-1)).toMatchObject({ allowed: false, blockedBecause: 'Offline mode is on.' });

      await assistant.dispose();
      assistant = start();
      expect(assistant.egress.offline, 'offline mode is a stored setting').toBe(true);
      await assistant.router.call('settings.set', { patch: { offlineMode: false } });
      expect(assistant.egress.offline).toBe(false);
    } finally {
      await assistant.dispose();
    }
  });
});
