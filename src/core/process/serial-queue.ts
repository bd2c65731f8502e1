/** Runs async tasks one after another, in the order they were added: a lock without a name. */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task);
    // A failed task must not block the ones behind it; its caller sees the failure. The tail
    // holds no result either: the last task's value is its caller's, not the queue's to keep.
    this.#tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
