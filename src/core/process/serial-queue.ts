/** Runs async tasks one after another, in the order they were added: a lock without a name. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // A failed task must not block the ones behind it; its caller sees the failure.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
