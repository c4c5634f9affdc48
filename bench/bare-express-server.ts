/**
 * The comparison point for small submissions: a bare Express endpoint that reads the same body with
 * the same body parser and answers 202, doing nothing else. Run as its own process, like the gateway.
 */
import express from 'express';

const app = express();
app.post('/v1/member-lists', express.raw({ type: () => true, limit: '200mb' }), (req, res) => {
  res.status(202).json({ bytes: (req.body as Buffer).length });
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
