import type { Request, RequestHandler } from 'express';
import type { GatewayMetrics } from '../operations/gateway-metrics.js';
import { submissionOutcome } from '../operations/submission-outcome.js';
import type { AccessLogFields } from './access-log.js';

/**
 * Observes every request from the outside, when its response is finished: its duration by route
 * pattern, and for submissions how they ended (from the status, the problem code the problem handler
 * noted, and the receipt in the body). The handlers know nothing about metrics.
 */
export function requestMetrics(metrics: GatewayMetrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const isSubmission = req.method === 'POST' && req.path === '/v1/member-lists';
    let body: unknown;
    if (isSubmission) {
      const json = res.json.bind(res);
      res.json = (value: unknown) => {
        body = value;
        return json(value);
      };
    }
    res.on('finish', () => {
      metrics.observeHttpRequest(req.method, routePattern(req), res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
      if (isSubmission) {
        const fields = (res.locals.logFields ?? {}) as AccessLogFields;
        metrics.observeSubmission(submissionOutcome(res.statusCode, body, fields.problem));
      }
    });
    next();
  };
}

/** The matched route's pattern (bounded), never the raw path (unbounded: ids, probes of scanners). */
function routePattern(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  return typeof route?.path === 'string' ? `${req.baseUrl}${route.path}` : 'unmatched';
}
