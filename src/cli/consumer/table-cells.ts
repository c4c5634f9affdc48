/** A column of the consumer tool's tables: its heading and width in characters. */
export interface TableColumn {
  title: string;
  width: number;
}

/** One table line: each cell fitted to its column (whitespace flattened, cut with "…"), then a newline. */
export function tableLine(columns: readonly TableColumn[], cells: readonly string[]): string {
  return `${cells.map((cell, i) => fit(cell, columns[i]!.width)).join(' ').trimEnd()}\n`;
}

/** A field of a record or a view as a cell: text as it is, anything else empty. */
export function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function fit(value: string, width: number): string {
  const flat = value.replace(/\s+/g, ' ');
  return flat.length <= width ? flat.padEnd(width) : `${flat.slice(0, width - 1)}…`;
}
