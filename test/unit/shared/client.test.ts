/**
 * The typed client over a fake transport (the client is the thing under test): typed calls with
 * errors as values or thrown, events by name, and followGeneration's early-event buffering,
 * seq ordering and end delivery.
 */
import { describe, expect, it } from 'vitest';
import { createClient, type GenerationDelta, type GenerationEnd } from '../../../src/shared/client';
import { BurrowError, type Result } from '../../../src/shared/errors';
import { FakeTransport } from '../../support/fake-transport';

class GenerationTransport extends FakeTransport {
  delta(generationId: string, seq: number, text: string): void {
    this.emit('generation.delta', { generationId, seq, text } satisfies GenerationDelta);
  }
  end(generationId: string, reason: GenerationEnd['reason'] = 'done', error?: GenerationEnd['error']): GenerationEnd {
    const end: GenerationEnd = { generationId, conversationId: 'c1', messageId: `m-${generationId}`, reason, ...(error ? { error } : {}) };
    this.emit('generation.end', end);
    return end;
  }
}

function follow(client: ReturnType<typeof createClient>, id: string): { texts: string[]; seqs: number[]; ended: Promise<GenerationEnd> } {
  const texts: string[] = [];
  const seqs: number[] = [];
  const ended = client.followGeneration(id, {
    onDelta: (delta, text) => {
      seqs.push(delta.seq);
      texts.push(text);
    },
  });
  return { texts, seqs, ended };
}

describe('typed client', () => {
  it('invoke answers the result value; call returns the value or throws a BurrowError with the code', async () => {
    const transport = new GenerationTransport();
    const client = createClient(transport);
    transport.answer = (name): Result<unknown> => (name === 'conversations.list' ? { ok: true, value: [] } : { ok: false, error: { code: 'not_found', message: 'No such conversation.' } });

    expect(await client.invoke('conversations.list', {})).toEqual({ ok: true, value: [] });
    expect(await client.call('conversations.list', {})).toEqual([]);
    expect(await client.invoke('conversations.get', { id: 'x' })).toEqual({ ok: false, error: { code: 'not_found', message: 'No such conversation.' } });
    const thrown = await client.call('conversations.get', { id: 'x' }).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(BurrowError);
    expect(thrown).toMatchObject({ code: 'not_found', message: 'No such conversation.' });
    expect(transport.calls).toEqual(['conversations.list', 'conversations.list', 'conversations.get', 'conversations.get']);
  });

  it('on hears only its event until unsubscribed', () => {
    const transport = new GenerationTransport();
    const client = createClient(transport);
    const heard: string[] = [];
    const off = client.on('conversations.changed', (payload) => heard.push(payload.id));
    transport.emit('conversations.changed', { id: 'a' });
    transport.emit('history.changed', { reason: 'import' });
    off();
    transport.emit('conversations.changed', { id: 'b' });
    expect(heard).toEqual(['a']);
  });

  it('replays deltas and the end that arrived before the generation was followed', async () => {
    const transport = new GenerationTransport();
    const client = createClient(transport);
    transport.delta('g1', 0, 'Hello');
    transport.delta('g1', 1, ', world');
    const sentEnd = transport.end('g1');

    const { texts, ended } = follow(client, 'g1');
    expect(texts).toEqual(['Hello', 'Hello, world']);
    expect(await ended).toEqual(sentEnd);
  });

  it('mixes early and live deltas, in seq order, dropping duplicates, and ends with generation.end', async () => {
    const transport = new GenerationTransport();
    const client = createClient(transport);
    transport.delta('g1', 1, 'b');
    const { texts, seqs, ended } = follow(client, 'g1');
    expect(texts).toEqual([]); // seq 1 waits for seq 0
    transport.delta('g1', 0, 'a');
    transport.delta('g1', 0, 'a');
    transport.delta('g1', 2, 'c');
    transport.delta('other', 0, 'not mine');
    transport.end('g1');
    // seq 0 fills the gap and releases seq 1 with it.
    expect(seqs).toEqual([0, 2]);
    expect(texts).toEqual(['ab', 'abc']);
    expect((await ended).reason).toBe('done');
  });

  it('surfaces a cancelled or failed generation through its end event', async () => {
    const transport = new GenerationTransport();
    const client = createClient(transport);
    const cancelled = follow(client, 'g1');
    const failed = follow(client, 'g2');
    transport.delta('g1', 0, 'partial');
    transport.end('g1', 'cancelled');
    transport.end('g2', 'error', { code: 'engine_stopped', message: 'The engine stopped.' });
    expect(await cancelled.ended).toMatchObject({ reason: 'cancelled' });
    expect(cancelled.texts).toEqual(['partial']);
    expect(await failed.ended).toMatchObject({ reason: 'error', error: { code: 'engine_stopped' } });
  });

  it('keeps the early events of a few unfollowed generations only, dropping the oldest', async () => {
    const transport = new GenerationTransport();
    const client = createClient(transport);
    for (let i = 0; i < 9; i++) transport.delta(`g${i}`, 0, `text ${i}`);
    const oldest = follow(client, 'g0');
    const newest = follow(client, 'g8');
    expect(oldest.texts).toEqual([]);
    expect(newest.texts).toEqual(['text 8']);
    transport.end('g8');
    await newest.ended;
  });

  it('close stops listening', () => {
    const transport = new GenerationTransport();
    const client = createClient(transport);
    expect(transport.listeners.get('generation.delta')?.size).toBe(1);
    client.close();
    expect(transport.listeners.get('generation.delta')?.size).toBe(0);
    expect(transport.listeners.get('generation.end')?.size).toBe(0);
  });
});
