import net from 'node:net';

/** Writes to a raw connection step by step; resolves with what came back once the gateway closes it. */
export function rawExchange(port: number, steps: { write: string | Buffer; afterMs?: number }[], giveUpMs = 10_000): Promise<{ response: string; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const startedAt = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(giveUp);
      resolve({ response: Buffer.concat(chunks).toString('utf8'), closedAfterMs: Date.now() - startedAt });
    };
    const giveUp = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the gateway kept the connection open for ${giveUpMs} ms`));
    }, giveUpMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', finish);
    socket.on('error', () => undefined); // EPIPE / ECONNRESET once the gateway hangs up: expected
    socket.on('connect', () => {
      void (async () => {
        for (const step of steps) {
          if (step.afterMs) await new Promise((r) => setTimeout(r, step.afterMs));
          if (socket.destroyed || done) return;
          socket.write(step.write);
        }
      })();
    });
  });
}

/**
 * POSTs exact bytes with fetch (supertest serializes a Buffer as JSON when the media type ends in
 * +json) and reads the answer as JSON.
 */
export async function postBytes(url: string, headers: Record<string, string>, body: Buffer): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}
