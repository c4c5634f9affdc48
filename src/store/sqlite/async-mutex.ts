/**
 * A first-come, first-served lock. better-sqlite3 has one connection, and an intake transaction stays
 * open across awaits (receipt signing), so every use of the connection must take turns: otherwise one
 * request's statements would run inside another's transaction, or read its uncommitted rows.
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(work: () => Promise<T> | T): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
