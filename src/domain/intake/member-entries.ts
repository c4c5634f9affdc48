import { GatewayError } from '../gateway-error.js';
import type { JsonArraySpan } from './strict-json.js';

/**
 * The members of a checked payload, each decoded and parsed on its own from the payload's bytes: element i is what lies
 * between the array's opening bracket or its comma i - 1 and its comma i or closing bracket. Each
 * element that parses is exactly a JSON value, and the list without its members parses too (see
 * decodeList), so together they are exactly the payload's one reading; a list of 250,000 members is
 * never one value in memory.
 */
export class MemberEntries {
  readonly count: number;

  constructor(
    private readonly bytes: Buffer,
    private readonly span: JsonArraySpan,
  ) {
    const { start, end, commaCount } = span;
    this.count = commaCount > 0 ? commaCount + 1 : bytes.toString('utf8', start + 1, end - 1).trim() === '' ? 0 : 1;
  }

  /** The member at `index` as a value; a 422 `malformed-payload` when its text is not JSON. */
  parse(index: number): unknown {
    if (index > this.span.commas.length) throw new RangeError(`member ${index} lies beyond the separators kept`);
    const { start, end, commas } = this.span;
    const from = index === 0 ? start : commas[index - 1]!;
    const to = index === commas.length ? end - 1 : commas[index]!;
    try {
      return JSON.parse(this.bytes.toString('utf8', from + 1, to)) as unknown;
    } catch {
      throw new GatewayError('malformed-payload', 'The payload is not JSON.', { errors: [{ pointer: `/members/${index}`, detail: 'is not a JSON value' }] });
    }
  }
}
