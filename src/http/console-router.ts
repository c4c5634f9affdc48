import express, { Router, type RequestHandler } from 'express';
import { statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import type { Logger } from 'winston';
import { GatewayError } from '../domain/gateway-error.js';

/**
 * The console page's policy, in place of the API's `default-src 'none'`: its own scripts, styles and
 * images, and calls to this origin only (the admin API and /healthz). No inline code, no other origin,
 * no <base> or form posts that could send a token elsewhere, and never in a frame.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

/** Vite names every file under assets/ by a hash of its content: a changed file is a new URL. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

const ALLOWED_METHODS = 'GET, HEAD';

/**
 * Serves the administrators' web console, a static Vite build (index.html and assets/), mounted at
 * /console. Only files in the directory: no listing, no dotfiles, no fallback to index.html (the
 * console routes in the URL fragment), and a path that is not a file is the gateway's usual 404
 * problem. index.html stays no-store like every other answer, so a new build shows at the next load;
 * the hashed assets it names are cached for good.
 *
 * A directory without index.html (`npm run dev` without a build) does not stop the gateway: it says
 * so once at start-up, and /console/ answers 503 until a build appears (it is looked for on every
 * request, so no restart is needed).
 */
export function consoleRouter(consoleDir: string, logger: Logger): Router {
  if (!isFile(path.join(consoleDir, 'index.html'))) {
    logger.warn('the administrators\' console is not built: CONSOLE_DIR has no index.html, so /console/ answers 503 (run npm run build)', { consoleDir });
  }
  // send resolves the root the same way, so a file under assets/ starts with exactly this.
  const assetsDir = path.join(path.resolve(consoleDir), 'assets') + path.sep;
  const files = express.static(consoleDir, {
    index: 'index.html',
    dotfiles: 'ignore',
    // A directory other than the console's root is a 404 like any other missing file.
    redirect: false,
    // Cache-Control is set below; SECURITY_HEADERS' no-store would keep send's own from applying anyway.
    cacheControl: false,
    // Only once a file is being sent: the problems answered for a missing one keep the API's headers.
    setHeaders: (res: ServerResponse, file: string) => {
      res.setHeader('Content-Security-Policy', CONSOLE_CONTENT_SECURITY_POLICY);
      if (file.startsWith(assetsDir)) res.setHeader('Cache-Control', ASSET_CACHE);
    },
  });

  const router = Router();
  // One route pattern for every console path, so that the request metrics label them all alike.
  router.get('/{*path}', rootWithSlash, files, notBuilt);
  // The console is read-only: any other method, on any path under it, is 405.
  router.all('/{*path}', (req, res) => {
    res.set('Allow', ALLOWED_METHODS);
    throw new GatewayError('method-not-allowed', `${req.method} is not supported here (allowed: ${ALLOWED_METHODS}).`);
  });
  return router;
}

/**
 * /console itself moves to /console/, so that the page's relative URLs resolve under it. Express gives a
 * router mounted at /console the path `/` for both; only the original URL tells them apart.
 */
const rootWithSlash: RequestHandler = (req, res, next) => {
  const pathname = req.originalUrl.split('?', 1)[0]!;
  if (req.path !== '/' || pathname.endsWith('/')) {
    next();
    return;
  }
  const query = req.originalUrl.slice(pathname.length);
  res.redirect(301, `${req.baseUrl}/${query}`);
};

/**
 * Reached only when no file answered: for the root, the missing index.html is the console not built;
 * any other path leaves the router (past its 405) for the app's 404.
 */
const notBuilt: RequestHandler = (req, _res, next) => {
  if (req.path !== '/') {
    next('router');
    return;
  }
  throw new GatewayError('service-unavailable', 'The console is not built: run npm run build (or set CONSOLE_DIR to a built console).');
};

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}
