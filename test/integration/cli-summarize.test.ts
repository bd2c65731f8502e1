/** `burrow summarize` as a user runs it: a real process, the real core, the suite's tiny model and its own PDF. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pdf, sentences } from '../support/sample-documents';
import { tinyModelPath } from '../support/tiny-model';
import { runCli, type CliRun } from '../support/cli';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-cli-summarize-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function burrow(args: string[]): Promise<CliRun> {
  return runCli(args, { dataDir });
}

describe('burrow summarize', { timeout: 180_000 }, () => {
  it('prints the summary with references and coverage, progress on stderr', async () => {
    const file = join(dataDir, 'notes.pdf');
    writeFileSync(file, pdf([sentences('one', 6), sentences('two', 6), sentences('three', 6)]));
    const run = await burrow(['summarize', file, '--model', tinyModelPath(), '--style', 'key-points']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^Read notes\.pdf \(pdf, 3 of 3 pages\)\./);
    expect(run.stderr).toMatch(/\d+% · summarising \d+\/\d+ chunks/);
    expect(run.stdout).toMatch(/^- .+\[p\. \d/m);
    expect(run.stdout).toContain('_Covers all 3 pages._');
  });

  it('--json prints the document, progress events and the summary as JSON lines', async () => {
    const file = join(dataDir, 'notes.md');
    writeFileSync(file, '# Costs\n\nThree seeds.\n\n# Benefits\n\nA warm burrow.\n');
    const run = await burrow(['summarize', file, '--json', '--model', tinyModelPath(), '--style', 'brief', '--focus', 'costs']);
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; status?: string; focus?: string; points?: unknown[] });
    expect(events[0]).toMatchObject({ event: 'document.added', format: 'markdown' });
    expect(events.some((event) => event.event === 'document.progress')).toBe(true);
    expect(events.find((event) => event.event === 'document.summary')).toMatchObject({ status: 'done' });
    expect(events.at(-1)).toMatchObject({ event: 'summary', status: 'done', style: 'brief', focus: 'costs' });
  });

  it('explains what it cannot read, with exit code 1', async () => {
    const file = join(dataDir, 'letter.docx');
    writeFileSync(file, 'not a zip');
    const run = await burrow(['summarize', file, '--model', tinyModelPath()]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('burrow summarize: This is not a Word document (.docx).');
    expect((await burrow(['summarize'])).code).toBe(2);
  });

  it('names the option and the values it takes for a wrong --style, with exit code 2', async () => {
    const run = await burrow(['summarize', join(dataDir, 'any.txt'), '--style', 'bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('burrow summarize: --style must be one of key-points, brief, outline, not "bogus".');
  });
});
