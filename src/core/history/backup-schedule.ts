/** The daily backup: checked soon after start, then every hour while Burrow runs. */
import type { EmitEvent } from '../events/event-hub';
import type { Storage } from '../store/storage';

export interface BackupScheduleOptions {
  /** First daily-backup check this long after start (the window comes first). Default 5 s. */
  firstBackupDelayMs?: number;
  /** Then checked this often, so a Burrow left open overnight still makes its daily copy. Default 1 h. */
  backupCheckIntervalMs?: number;
}

/** Starts the daily-backup timer (unref'd: it never keeps a process alive). Returns the stop function. */
export function scheduleBackups(storage: Storage, emit: EmitEvent, options: BackupScheduleOptions = {}): () => void {
  const check = (): void => {
    void storage.makeDailyBackup().then((name) => {
      if (name !== null) emit('store.status', storage.status());
    });
  };
  const first = setTimeout(check, options.firstBackupDelayMs ?? 5000);
  const every = setInterval(check, options.backupCheckIntervalMs ?? 60 * 60 * 1000);
  first.unref();
  every.unref();
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
