import type { Writable } from 'node:stream';
import { isTerminal } from '../cli-io.js';

/** Bodies at least this large show upload progress. */
export const PROGRESS_THRESHOLD_BYTES = 1024 * 1024;

/**
 * Reports upload progress on stderr: one redrawn line on a terminal, a line per 10 % otherwise (logs).
 * Small bodies report nothing.
 */
export function uploadProgress(stderr: Writable, label: string): (sent: number, total: number) => void {
  let lastStep = -1;
  const terminal = isTerminal(stderr);
  return (sent, total) => {
    if (total < PROGRESS_THRESHOLD_BYTES) return;
    const percent = Math.floor((sent / total) * 100);
    const step = Math.floor(percent / 10);
    const text = `${label}: ${percent}% of ${(total / 1024 / 1024).toFixed(1)} MiB`;
    if (terminal) {
      stderr.write(`\r${text}${sent === total ? '\n' : ''}`);
    } else if (step !== lastStep) {
      lastStep = step;
      stderr.write(`${text}\n`);
    }
  };
}
