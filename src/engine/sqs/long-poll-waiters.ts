/**
 * The long polls waiting on each queue: a waiter sleeps until woken (a send, a visibility change, the queue
 * deleted, the engine stopping) or until its own timer fires, and then looks at the queue again.
 */
export class LongPollWaiters {
  readonly #byQueue = new Map<string, Set<() => void>>();
  #count = 0;

  /** Long polls waiting now, across queues. */
  get size(): number {
    return this.#count;
  }

  /** Resolves when `queueName` is woken or after `ms`, whichever comes first. */
  wait(queueName: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.#byQueue.get(queueName);
      if (!waiters) {
        waiters = new Set();
        this.#byQueue.set(queueName, waiters);
      }
      const set = waiters;
      this.#count++;
      const done = () => {
        clearTimeout(timer);
        if (set.delete(done)) this.#count--;
        if (set.size === 0 && this.#byQueue.get(queueName) === set) this.#byQueue.delete(queueName);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  wake(queueName: string): void {
    for (const waiter of [...(this.#byQueue.get(queueName) ?? [])]) waiter();
  }

  wakeAll(): void {
    for (const name of [...this.#byQueue.keys()]) this.wake(name);
  }
}
