/**
 * The comparison point for register lookups: a bare Express endpoint at the lookup's path that answers
 * every GET with the same JSON a lookup answered (the document in BENCH_BARE_BODY_FILE, sent with
 * res.json as the gateway sends its answers), doing nothing else: no token, no store. The difference to
 * the gateway's rate is what authentication, the store and building the answer cost. Run as its own
 * process, like the gateway.
 */
import express from 'express';
import { readFileSync } from 'node:fs';

const answer = JSON.parse(readFileSync(process.env.BENCH_BARE_BODY_FILE!, 'utf8')) as unknown;
const app = express();
app.get('/v1/members', (_req, res) => {
  res.json(answer);
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
