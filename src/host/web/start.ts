/**
 * `npm run dev:web`: the browser host. Serves the built renderer on 127.0.0.1 with a random
 * token and the real core behind a loopback WebSocket.
 *
 *   npm run dev:web -- [--model FILE.gguf] [--port N]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createAssistant } from '../../core/assistant';
import { spawnNodeEngine } from '../../core/process/node-spawn';
import { resolveDataDir } from '../../core/store/paths';
import { findProjectRoot } from '../../core/process/project-root';
import { BurrowError } from '../../shared/errors';
import { startWebHost } from './server';

const { values } = parseArgs({
  options: { model: { type: 'string' }, port: { type: 'string', default: '0' } },
  strict: true,
});

const dataDir = resolveDataDir();
const pickedModel = values.model;
const assistant = createAssistant({
  dataDir,
  spawnEngine: spawnNodeEngine(),
  grantedModels: pickedModel ? [pickedModel] : [],
  pickModelFile: () => {
    // A browser page cannot hand a file's real path to the host: models come from the command line.
    if (pickedModel) return Promise.resolve(pickedModel);
    return Promise.reject(new BurrowError('refused', 'The browser host cannot open a file dialog. Restart it with --model /path/to/model.gguf.'));
  },
});
const host = await startWebHost({
  router: assistant.router,
  subscribe: (listener) => assistant.subscribe(listener),
  rendererDir: join(findProjectRoot(), 'out', 'renderer'),
  port: Number(values.port),
});

console.log(`Burrow is running in your browser at:\n\n  ${host.url}\n\nData folder: ${dataDir}\nPress Ctrl+C to stop.`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await host.close();
  await assistant.dispose();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
