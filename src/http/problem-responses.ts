import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'winston';
import { GatewayError } from '../domain/gateway-error.js';
import { problemTypes, problemTypeUri } from '../domain/problem-types.js';
import type { AccessLogFields } from './access-log.js';

/** Writes an RFC 9457 problem document for a GatewayError. */
export function sendProblem(res: Response, error: GatewayError): void {
  const fields = (res.locals.logFields ?? {}) as AccessLogFields;
  res.locals.logFields = { ...fields, problem: error.code };
  if (typeof error.extensions.retryAfter === 'number') res.set('Retry-After', String(error.extensions.retryAfter));
  res
    .status(error.status)
    .type('application/problem+json')
    .json({
      type: problemTypeUri(error.code),
      title: problemTypes[error.code].title,
      status: error.status,
      detail: error.message,
      ...(error.errors ? { errors: error.errors } : {}),
      ...error.extensions,
      requestId: res.locals.requestId as string,
    });
}

export const notFound: RequestHandler = (req, _res, next) => {
  next(new GatewayError('not-found', `No resource at ${req.method} ${req.path}.`));
};

/** Maps every error to a problem document in one place; anything unexpected is a logged 500. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      // A request answered early (408 for a stalled body) ends here when its body reading is cut off:
      // the answer is out and the connection closing, there is nothing to add.
      if (res.locals.bodyTimedOut === true) {
        req.socket.destroy();
        return;
      }
      next(error);
      return;
    }
    if (error instanceof GatewayError) {
      sendProblem(res, error);
      return;
    }
    const clientError = fromBodyParser(error) ?? fromUrlDecoding(error);
    if (clientError) {
      sendProblem(res, clientError);
      return;
    }
    logger.error('unhandled error', { error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error) });
    sendProblem(res, new GatewayError('internal-error', 'The gateway failed to handle this request. Nothing was accepted; retry later.'));
  };
}

/**
 * body-parser (the admin API's JSON bodies) reports size and encoding problems as errors with a
 * `type`, and passes zlib's errors for a corrupt gzip, deflate or br body on with status 400.
 */
function fromBodyParser(error: unknown): GatewayError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  if (isZlibError(error)) return new GatewayError('bad-content-encoding', 'The body is not valid data in its Content-Encoding.');
  if (!('type' in error)) return undefined;
  switch ((error).type) {
    case 'entity.too.large':
      return new GatewayError('payload-too-large', 'The request body is larger than the gateway accepts.');
    case 'encoding.unsupported':
      return new GatewayError('unsupported-media-type', 'Unsupported content encoding; send identity, gzip, deflate or br.');
    case 'charset.unsupported':
      return new GatewayError('unsupported-media-type', 'Unsupported charset; send UTF-8.');
    // The partner API's problem for a body it could not read; the admin router answers these with its own.
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new GatewayError('malformed-jws', 'The request body was not received completely.');
    default:
      return undefined;
  }
}

/** zlib's stream errors carry a code such as Z_DATA_ERROR, Z_BUF_ERROR or ERR__ERROR_FORMAT_PADDING_1 (brotli). */
function isZlibError(error: object): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR_BROTLI') || code.startsWith('ERR__ERROR_'));
}

/**
 * A path whose percent-encoding does not decode (`/schemas/%ZZ`, `%C0%AF`, an overlong UTF-8 form):
 * Express's router throws a URIError with status 400 while matching a route parameter.
 */
function fromUrlDecoding(error: unknown): GatewayError | undefined {
  if (!(error instanceof URIError)) return undefined;
  return new GatewayError('bad-request', 'The URL path has a percent-encoding that is not valid UTF-8.');
}
