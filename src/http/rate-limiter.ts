import type { Request, RequestHandler } from 'express';
import type { Clock } from '../domain/clock.js';
import { GatewayError } from '../domain/gateway-error.js';
import type { TokenBuckets } from '../domain/token-bucket.js';

/**
 * Limits requests per client address (token bucket, in memory): 429 `rate-limited` with Retry-After
 * once the client's allowance is used up. Every request counts, refused ones included: that is what a
 * flood of garbage is made of. The client is the TCP peer; behind a reverse proxy that is the proxy.
 *
 * Unlike the per-administration limit (GatewayStore.administrationLimiter), this one stays per
 * instance on purpose, even with several instances on a shared store: it is checked before anything
 * is read or verified, so it must cost nothing (no store round trip per request, and no store outage
 * turning into refusals), and an unauthenticated flood must not be able to load the shared database.
 * Behind a load balancer a client's requests are spread over the instances, so each instance's limit
 * is a share of the whole; limiting a client across all instances belongs to the load balancer,
 * which sees every request and the client's real address.
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
