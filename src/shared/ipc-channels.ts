/** Electron IPC channel names shared by preload and main. */
export const IPC_INVOKE = 'burrow:invoke';
export const IPC_EVENT = 'burrow:event';
