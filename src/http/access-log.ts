import type { RequestHandler } from 'express';
import type { Logger } from 'winston';

/** Fields a handler adds to its request's log line (never payload content). */
export interface AccessLogFields {
  administration?: string;
  messageId?: string;
  problem?: string;
  outcome?: string;
}

/** One line per request when the response is finished: what, who, how it ended, how long it took. */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const fields = (res.locals.logFields ?? {}) as AccessLogFields;
      logger.info('request', {
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
