import type { RequestHandler } from 'express';
import type { Logger } from 'winston';

/** Fields a handler adds to its request's log line (never payload content). */
export interface AccessLogFields {
  administration?: string;
  messageId?: string;
  problem?: string;
  outcome?: string;
}

/** Probes an orchestrator or a container engine asks every few seconds: at debug, unless they fail. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/** One line per request when the response is finished: what, who, how it ended, how long it took. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const fields = (res.locals.logFields ?? {}) as AccessLogFields;
      const level = req.method === 'GET' && PROBES.has(req.path) && res.statusCode < 400 ? 'debug' : 'info';
      // Winston builds and pipes the line before its transports drop it: a level not logged costs nothing here.
      if (!logger.isLevelEnabled(level)) return;
      logger.log(level, 'request', {
        requestId: res.locals.requestId as string,
        method: req.method,
        path: req.path,
        status: res.statusCode,
        durationMs: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
        bytesIn: Number(req.get('content-length') ?? 0),
        ...fields,
      });
    });
    next();
  };
}
