import net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A TCP proxy in front of the real broker, for taking it away and bringing it back. `refuse()` cuts
 * every open connection and refuses new ones (as a broker that is down would); `accept()` restores it.
 * `stall()` keeps every connection open but stops forwarding bytes either way (a network that silently
 * drops traffic, or a peer that hangs); `resume()` forwards again, starting with what was held back.
 * `throttle()` limits each direction of each connection to a number of bytes per second (a slow link),
 * so that a fault can be made to land in the middle of a transfer whatever the machine's speed.
 */
export class TcpProxy {
  private accepting = true;
  private stalled = false;
  private held: (() => void)[] = [];
  private readonly sockets = new Set<net.Socket>();
  /** Bytes per second each direction of a connection may carry; undefined: no limit. */
  bytesPerSecond: number | undefined;

  private readonly server: net.Server;
  port = 0;

  private constructor(targetPort: number, targetHost: string) {
    this.server = net.createServer((client) => {
      if (!this.accepting) {
        client.destroy();
        return;
      }
      const upstream = net.connect(targetPort, targetHost);
      const gates = [new Gate(this), new Gate(this)];
      const cut = (): void => {
        client.destroy();
        upstream.destroy();
        for (const gate of gates) gate.destroy();
      };
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', cut);
      }
      for (const gate of gates) gate.on('error', cut);
      client.pipe(gates[0]!).pipe(upstream);
      upstream.pipe(gates[1]!).pipe(client);
    });
  }

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  refuse(): void {
    this.accepting = false;
    for (const socket of this.sockets) socket.destroy();
  }

  accept(): void {
    this.accepting = true;
  }

  /**
   * Stops forwarding on every connection, open or opened later, without closing any: bytes wait in
   * the proxy and then in TCP's buffers, so both ends see a peer that has gone quiet, not one that left.
   */
  stall(): void {
    this.stalled = true;
  }

  /** Forwards again on every connection, beginning with the bytes held back during the stall. */
  resume(): void {
    this.stalled = false;
    for (const release of this.held.splice(0)) release();
  }

  /** Limits each direction of every connection to `bytesPerSecond` (undefined: no limit). */
  throttle(bytesPerSecond: number | undefined): void {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** Runs `release` now, or once the proxy is no longer stalled. */
  whenFlowing(release: () => void): void {
    if (this.stalled) this.held.push(release);
    else release();
  }

  async close(): Promise<void> {
    this.refuse();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * One direction of one connection. A chunk passes when the proxy is not stalled and, under a throttle,
 * when the link would have finished sending it; until then the chunk is not done, so the pipe stops
 * reading from the sender (backpressure, as on a real slow or silent link). Order is kept: a Transform
 * takes the next chunk only after the previous one is done.
 */
class Gate extends Transform {
  private nextFree = 0;

  constructor(private readonly proxy: TcpProxy) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const release = (): void => {
      if (this.destroyed) return;
      this.push(chunk);
      done();
    };
    const rate = this.proxy.bytesPerSecond;
    if (rate === undefined) {
      this.proxy.whenFlowing(release);
      return;
    }
    const now = Date.now();
    this.nextFree = Math.max(now, this.nextFree) + (chunk.length * 1000) / rate;
    setTimeout(() => this.proxy.whenFlowing(release), this.nextFree - now);
  }
}
