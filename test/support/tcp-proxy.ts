import net from 'node:net';

/**
 * A TCP proxy in front of the real broker, for taking it away and bringing it back. `refuse()` cuts
 * every open connection and refuses new ones (as a broker that is down would); `accept()` restores it.
 */
export class TcpProxy {
  private accepting = true;
  private readonly sockets = new Set<net.Socket>();

  private readonly server: net.Server;
  port = 0;

  private constructor(targetPort: number, targetHost: string) {
    this.server = net.createServer((client) => {
      if (!this.accepting) {
        client.destroy();
        return;
      }
      const upstream = net.connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
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

  async close(): Promise<void> {
    this.refuse();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
