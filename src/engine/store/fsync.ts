import { open } from "node:fs/promises";

/**
 * Fsyncs a directory so that entries created or renamed in it survive a crash (a file's own fsync does not
 * make its name durable).
 */
export async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Coalesces concurrent directory fsyncs: a caller waits for a sync that started after its call, so many
 * concurrent writers share one fsync instead of queueing one each.
 */
export class DirectorySyncer {
  readonly #path: string;
  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;

  constructor(path: string) {
    this.#path = path;
  }

  /** Resolves after a directory fsync that began after this call. */
  sync(): Promise<void> {
    if (!this.#running) {
      this.#running = syncDirectory(this.#path).finally(() => {
        this.#running = undefined;
      });
      return this.#running;
    }
    // One sync is in flight and may have started before our entry was created: queue exactly one more.
    this.#next ??= this.#running
      .catch(() => undefined)
      .then(() => {
        this.#next = undefined;
        return this.sync();
      });
    return this.#next;
  }
}
