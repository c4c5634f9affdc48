import { closeSync, fdatasync, openSync } from 'node:fs';

/**
 * Makes commits durable without blocking the event loop.
 *
 * The database runs with `synchronous = NORMAL` in WAL mode: a COMMIT appends its frames to the WAL
 * and returns without an fsync, and SQLite stays consistent after a power cut but may lose the last
 * commits. Before anything is acknowledged (a receipt, an admin change), the caller waits here for an
 * fdatasync of the WAL file that began after its COMMIT. The fsync runs on libuv's thread pool, and
 * one fsync covers every commit made before it started, so concurrent submissions share it: group
 * commit, without holding up the JavaScript thread for the disk.
 */
export class WalDurability {
  private committed = 0;
  private synced = 0;
  private running = false;
  private waiters: { generation: number; resolve: () => void; reject: (error: unknown) => void }[] = [];

  private constructor(private readonly fd: number) {}

  /** Opens the WAL file, which must exist (the database ran a checkpoint that left it in place). */
  static open(walPath: string): WalDurability {
    return new WalDurability(openSync(walPath, 'r'));
  }

  /** Marks a COMMIT that just returned; the value is what `durable` waits for. */
  committedNow(): number {
    return ++this.committed;
  }

  /** Resolves once the WAL is on disk up to and including the commit of `generation`. */
  durable(generation: number): Promise<void> {
    if (this.synced >= generation) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ generation, resolve, reject });
      if (!this.running) void this.syncLoop();
    });
  }

  close(): void {
    closeSync(this.fd);
  }

  private async syncLoop(): Promise<void> {
    this.running = true;
    while (this.waiters.length > 0) {
      const target = this.committed;
      try {
        await new Promise<void>((resolve, reject) => fdatasync(this.fd, (error) => (error ? reject(error) : resolve())));
        this.synced = target;
        const done = this.waiters.filter((w) => w.generation <= target);
        this.waiters = this.waiters.filter((w) => w.generation > target);
        for (const waiter of done) waiter.resolve();
      } catch (error) {
        // The disk refused: nothing waiting can be promised durable.
        const failed = this.waiters;
        this.waiters = [];
        for (const waiter of failed) waiter.reject(error);
      }
    }
    this.running = false;
  }
}
