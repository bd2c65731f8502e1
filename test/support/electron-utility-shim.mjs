/**
 * Loaded with `--import` into a plain Node child that runs the engine worker, for
 * test/integration/binary-test-proxy.test.ts: makes it look like the engine in the packaged app.
 *
 * - `process.parentPort` (over the Node IPC channel) and `process.versions.electron`: what an
 *   Electron utility process has, so the worker installs its binary-test fork proxy. Left out
 *   with BURROW_SHIM_ELECTRON=0 (the control: the worker as it was before the proxy).
 * - The RunAsNode fuse: forking node-llama-cpp's testBindingBinary.js directly "relaunches the
 *   app", which quits at once (single-instance lock) without ever answering — the bug the
 *   proxy fixes. Each such fork is reported on stderr ("[shim] fused fork"). Every other
 *   fork works.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';

const send = process.send?.bind(process);
if (send !== undefined) {
  if (process.env.BURROW_SHIM_ELECTRON !== '0') {
    process.versions.electron = '39.0.0-shim';
    const parentPort = {
      postMessage: (message) => {
        if (process.connected) send(message, undefined, undefined, () => undefined);
      },
      on: (event, listener) => {
        if (event === 'message') process.on('message', (data) => listener({ data }));
        return parentPort;
      },
    };
    process.parentPort = parentPort;
    // Electron ends utility processes with the app; here the IPC channel going is the sign.
    process.once('disconnect', () => process.exit(0));
  }

  const fork = childProcess.fork;
  childProcess.fork = function fusedFork(modulePath, ...rest) {
    const path = modulePath instanceof URL ? fileURLToPath(modulePath) : String(modulePath);
    if (!/testBindingBinary\.js$/.test(path)) return Reflect.apply(fork, this, [modulePath, ...rest]);
    process.stderr.write(`[shim] fused fork of ${path}\n`);
    return childProcess.spawn(process.execPath, ['-e', 'process.exit(0)'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  };
  syncBuiltinESMExports();
}
