/** How long a new inspected runtime waits for the previous one's process to free the port, at most. */
const portWaitMs = 5_000;

/**
 * The Node inspector's port on 127.0.0.1, held by one runtime process at a time: a port has one listener, and a
 * runtime whose `--inspect` port is taken runs without the inspector (Node only prints a warning).
 */
export class InspectorPort {
  readonly address: string;
  /** Settles once the last holder's process has exited. */
  #free: Promise<void> = Promise.resolve();

  constructor(port: number) {
    this.address = `127.0.0.1:${port}`;
  }

  /**
   * Waits until the previous holder has exited (bounded: a process that never reports its exit must not hold the
   * function forever), then holds the port until `release` is called (when this holder's process exits).
   */
  async take(): Promise<{ address: string; release: () => void }> {
    const previous = this.#free;
    let release = () => {};
    this.#free = new Promise<void>((resolve) => {
      release = resolve;
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([previous, new Promise((resolve) => (timer = setTimeout(resolve, portWaitMs)))]);
    clearTimeout(timer);
    return { address: this.address, release };
  }
}
