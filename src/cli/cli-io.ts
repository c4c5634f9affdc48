import type { Writable } from 'node:stream';

/** Where a command writes: results to stdout (for pipes), progress and messages to stderr. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
}

/** Writes one line. */
export function writeLine(stream: Writable, line: string): void {
  stream.write(`${line}\n`);
}

/** Whether a stream is an interactive terminal (progress then redraws one line). */
export function isTerminal(stream: Writable): boolean {
  return (stream as { isTTY?: boolean }).isTTY === true;
}

/**
 * Text for --help: each paragraph (separated by a blank line) reflowed to `width` columns, as
 * commander wraps its own part of the help when the output is not a terminal.
 */
export function helpParagraphs(text: string, width = 80): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => {
      const lines: string[] = [];
      let line = '';
      for (const word of paragraph.split(/\s+/)) {
        if (line !== '' && line.length + 1 + word.length > width) {
          lines.push(line);
          line = word;
        } else {
          line = line === '' ? word : `${line} ${word}`;
        }
      }
      if (line !== '') lines.push(line);
      return lines.join('\n');
    })
    .join('\n\n');
}
