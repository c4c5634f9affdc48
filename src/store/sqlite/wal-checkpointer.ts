import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the WAL back into the database file (a checkpoint) on a thread of its own, with its own
 * connection, instead of at the end of a COMMIT on the event loop. SQLite's automatic checkpoint runs
 * in the committing connection once the WAL is past a threshold: after a 250,000-member snapshot that
 * is some 500 MB copied and synced while every request waits (two seconds and more). A PASSIVE
 * checkpoint from another connection runs beside readers and writers and never blocks them.
 *
 * `nudge` after a commit asks for one (at most one a second); nudges while one runs ask for one more
 * afterwards, never a queue.
 */
export class WalCheckpointer {
  private running = false;
  private again = false;
  private failed = false;
  private lastStarted = 0;
  private delayed: NodeJS.Timeout | undefined;
  /** Writes outside intake transactions (the relay's marks, admin changes) are checkpointed too, now and then. */
  private readonly timer = setInterval(() => this.nudge(), 10_000).unref();

  private constructor(
    private readonly worker: Worker,
    private readonly onFailure: (error: unknown) => void,
  ) {
    worker.on('message', () => this.finished());
    worker.on('error', (error) => this.fail(error));
    worker.unref();
  }

  /** Starts the thread for the database at `file`; `onFailure` is told once if it cannot checkpoint (the caller checkpoints itself then). */
  static start(file: string, onFailure: (error: unknown) => void): WalCheckpointer {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const worker = new Worker(CHECKPOINT_THREAD, { eval: true, workerData: { driver, file } });
    return new WalCheckpointer(worker, onFailure);
  }

  nudge(): void {
    if (this.failed || this.delayed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    // At most one a second: under many small commits, each checkpoint then copies many of them at once.
    const wait = this.lastStarted + MIN_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.delayed = setTimeout(() => {
        this.delayed = undefined;
        this.nudge();
      }, wait).unref();
      return;
    }
    this.running = true;
    this.lastStarted = Date.now();
    this.worker.postMessage('checkpoint');
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    clearTimeout(this.delayed);
    await this.worker.terminate();
  }

  private finished(): void {
    this.running = false;
    if (this.again) {
      this.again = false;
      this.nudge();
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.onFailure(error);
  }
}

const MIN_INTERVAL_MS = 1000;

/** The thread: one connection, one PASSIVE checkpoint per message, its result posted back. */
const CHECKPOINT_THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
parentPort.on('message', () => {
  parentPort.postMessage(db.pragma('wal_checkpoint(PASSIVE)', { simple: false }));
});
`;
