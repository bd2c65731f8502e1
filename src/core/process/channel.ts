/**
 * The line between the core and one of its child processes (the engine, the extraction
 * process). The supervisors (EngineHost, DocumentExtractor) do not know whether the process is
 * an Electron utilityProcess or a Node child: they get a spawner from the face they run in
 * (main / CLI / browser host / tests). Messages are parsed with zod on both sides.
 */

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export interface ProcessChannel {
  readonly pid: number | undefined;
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once when the process is gone, however it went. */
  onExit(listener: (info: ProcessExit) => void): void;
  kill(): void;
}

/** Starts one child process; its supervisor calls it again after a crash or a kill. */
export type SpawnProcess = () => ProcessChannel;
