/** Electron IPC channel names shared by preload and main. */
export const IPC_INVOKE = 'burrow:invoke';
export const IPC_EVENT = 'burrow:event';
/** Preload → main: grant the file behind a dropped or chosen File (its path from webUtils.getPathForFile). */
export const IPC_GRANT_FILE = 'burrow:grant-file';
