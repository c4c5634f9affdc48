import { AsyncLocalStorage } from 'node:async_hooks';
import winston, { type Logger } from 'winston';

/** What every log line of one request carries. */
export interface RequestContext {
  requestId: string;
}

export const requestContext = new AsyncLocalStorage<RequestContext>();

/** Adds the current request's id to every line logged while handling it, wherever the line comes from. */
const withRequestId = winston.format((info) => {
  const context = requestContext.getStore();
  if (context) info.requestId = context.requestId;
  return info;
});

/**
 * The one logger: JSON lines on stdout. Callers pass structured fields; by rule they never pass a
 * payload, a JWS, a token or key material (a test drives a submission and checks the output).
 */
export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  const transport = stream ? new winston.transports.Stream({ stream }) : new winston.transports.Console();
  return winston.createLogger({
    level,
    format: winston.format.combine(withRequestId(), winston.format.timestamp(), winston.format.errors({ stack: false }), winston.format.json()),
    defaultMeta: { service: 'mra-gateway' },
    transports: [transport],
  });
}
