/**
 * Summarisation: pages per minute on a generated 30-page PDF through documents.add and
 * documents.summarize, against the time its steps' own prompt processing and generation take
 * in the engine (each step's GenerationStats.durationMs, summed): the difference is Burrow's
 * overhead (extraction, chunking, token counting, saving, scheduling).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerateRequest, GenerateResult } from '../../src/core/engine/types';
import { pdf } from '../../test/support/sample-documents';
import { benchText } from '../model';
import { BurrowUnderTest } from './burrow-path';
import type { Report } from './report';
import { figure } from './stats';

export async function summaryFigures(report: Report, model: string, pages: number, log: (line: string) => void): Promise<void> {
  const folder = mkdtempSync(join(tmpdir(), 'burrow-bench-doc-'));
  const file = join(folder, 'report.pdf');
  // Five lines of ten one-token words a page.
  writeFileSync(file, pdf(Array.from({ length: pages }, (_, page) => Array.from({ length: 5 }, (_, line) => benchText(10, 1000 + page * 5 + line))), { title: 'Bench report' }));
  const burrow = BurrowUnderTest.start(model);
  try {
    await burrow.call('models.load', { path: model, force: true });
    const engine = burrow.assistant.engine;
    const steps: GenerateResult['stats'][] = [];
    const generate = engine.generate.bind(engine);
    engine.generate = async (request: GenerateRequest): Promise<GenerateResult> => {
      const result = await generate(request);
      steps.push(result.stats);
      return result;
    };
    const started = performance.now();
    const document = await burrow.call('documents.add', { path: burrow.assistant.grantDocument(file) });
    const ended = new Promise<string>((resolve) => {
      burrow.assistant.subscribe((name, payload) => {
        if (name === 'document.summary') resolve((payload as { status: string }).status);
      });
    });
    await burrow.call('documents.summarize', { documentId: document.id });
    const status = await ended;
    const wallMs = performance.now() - started;
    const engineMs = steps.reduce((sum, stats) => sum + stats.durationMs, 0);
    const evaluated = steps.reduce((sum, stats) => sum + stats.evaluatedTokens, 0);
    const generated = steps.reduce((sum, stats) => sum + stats.generatedTokens, 0);
    log(`summary ${status}: ${pages} pages in ${(wallMs / 1000).toFixed(1)} s; ${steps.length} steps, engine ${(engineMs / 1000).toFixed(1)} s (${evaluated} evaluated, ${generated} generated)`);
    const overhead = wallMs / engineMs - 1;
    report.add({
      key: 'summary_pages_per_minute',
      label: `summarisation, ${pages}-page PDF`,
      unit: 'pages/min',
      burrow: figure([(pages / wallMs) * 60_000]),
      baselines: { 'engine steps alone': figure([(pages / engineMs) * 60_000]) },
      target: { text: 'overhead ≤ 15 %, measured %', value: overhead * 100, met: overhead <= 0.15 },
      note: `${status}; ${steps.length} model steps (${evaluated} prompt tokens evaluated, ${generated} generated; random weights write every answer to its cap); wall ${(wallMs / 1000).toFixed(1)} s vs engine ${(engineMs / 1000).toFixed(1)} s`,
    });
  } finally {
    await burrow.dispose();
    rmSync(folder, { recursive: true, force: true });
  }
}
