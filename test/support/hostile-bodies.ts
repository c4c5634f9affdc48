import { brotliCompressSync, constants, deflateSync, gzipSync } from 'node:zlib';

/**
 * The hostile bodies of the security review (issue 11): a JWS JSON serialization, validly signed, with
 * an extra member holding millions of empty objects, which RFC 7515 says to ignore and a naive reader
 * builds in full. `junkBytes` of `{},{},...` go before or after the signed members.
 */
export function jwsWithJunk(flattenedJws: string, junkBytes: number, where: 'before' | 'after' = 'after'): Buffer {
  const members = flattenedJws.slice(1, -1);
  const junk = Buffer.alloc(Math.floor(junkBytes / 3) * 3, '{},');
  const open = where === 'after' ? `{${members},"x":[` : '{"x":[';
  const close = where === 'after' ? '{}]}' : `{}],${members}}`;
  return Buffer.concat([Buffer.from(open), junk, Buffer.from(close)]);
}

/** 441 bytes of br inflated to 190 MiB in the review; quality 5 makes about 1.4 KB here, in a fraction of the time. */
export function brotliBomb(body: Buffer): Buffer {
  return brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } });
}

/** gzip's best ratio is about 1,000: 190 MiB of junk makes the review's 189 KiB body. */
export function gzipBomb(body: Buffer): Buffer {
  return gzipSync(body, { level: 9 });
}

export function deflateBomb(body: Buffer): Buffer {
  return deflateSync(body, { level: 9 });
}

export const MiB = 1024 * 1024;
