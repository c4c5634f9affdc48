import type { Request, RequestHandler } from 'express';
import type { Clock } from '../domain/clock.js';
import { GatewayError } from '../domain/gateway-error.js';
import type { TokenBuckets } from '../domain/token-bucket.js';

/**
 * Limits requests per client address (token bucket, in memory): 429 `rate-limited` with Retry-After
 * once the client's allowance is used up. Every request counts, refused ones included: that is what a
 * flood of garbage is made of. The client is the TCP peer; behind a reverse proxy that is the proxy.
 */
export function clientRateLimit(buckets: TokenBuckets, clock: Clock): RequestHandler {
  return (req, res, next) => {
    const admission = buckets.take(clientAddress(req), clock.now().getTime());
    if (admission.allowed) {
      next();
      return;
    }
    const retryAfter = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
    // The body, if any, is not read: close the connection rather than drain it.
    res.set('Connection', 'close');
    throw new GatewayError('rate-limited', `Too many requests from this address; retry in ${retryAfter} s.`, { extensions: { retryAfter } });
  };
}

function clientAddress(req: Request): string {
  // IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d; count them as one address either way.
  const address = req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
