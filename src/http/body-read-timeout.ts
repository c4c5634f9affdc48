import type { RequestHandler } from 'express';
import { GatewayError } from '../domain/gateway-error.js';
import { sendProblem } from './problem-responses.js';

/**
 * Cuts off a client that stops sending its body: when no byte arrives for `idleMs` (checked against
 * the socket's byte count, so the body stream itself is left to the body parser), the request is
 * answered 408 `request-timeout` and the connection closed. A large upload at any steady speed is never
 * affected; the total time a request may take is bounded separately (REQUEST_TIMEOUT_SECONDS).
 * Detection happens between `idleMs` and twice that.
 */
export function bodyReadTimeout(idleMs: number): RequestHandler {
  return (req, res, next) => {
    const hasBody = req.get('transfer-encoding') !== undefined || Number(req.get('content-length') ?? 0) > 0;
    if (!hasBody || req.complete) {
      next();
      return;
    }
    const socket = req.socket;
    let bytesSeen = socket.bytesRead;
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      timer = undefined;
      if (req.complete || res.writableEnded || socket.destroyed) return;
      if (socket.bytesRead !== bytesSeen) {
        bytesSeen = socket.bytesRead;
        timer = setTimeout(check, idleMs);
        return;
      }
      // Stop delivering body data, so that the request can never be handled after it was refused.
      req.pause();
      if (res.headersSent) {
        socket.destroy();
        return;
      }
      res.locals.bodyTimedOut = true;
      res.set('Connection', 'close');
      sendProblem(res, new GatewayError('request-timeout', `No part of the request body arrived for ${Math.round(idleMs / 1000)} s; the connection is closed.`));
    };
    timer = setTimeout(check, idleMs);
    res.once('close', () => {
      if (timer) clearTimeout(timer);
    });
    next();
  };
}
