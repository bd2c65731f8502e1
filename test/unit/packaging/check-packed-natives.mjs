// afterPack hook for the packaging dry run (pack-dry-run.test.ts): only the check of the packed
// natives, without the real hook's restoring of node_modules' better-sqlite3 build — a test must
// not rewrite a module other test processes may be loading.
import { checkPackedNatives } from '../../../electron-builder.config.mjs';

export function afterPack(context) {
  checkPackedNatives(context);
}
