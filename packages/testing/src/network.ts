import { connect, createServer, type Server, type Socket } from 'node:net';

export interface HungServer {
  port: number;
  /** Its origin, `http://127.0.0.1:<port>`. */
  url: string;
  /** POST requests it has taken in whole (headers and body), and never answered. */
  received: () => number;
  close: () => Promise<void>;
}

/**
 * A TCP peer that accepts connections, reads each request and never answers: what a hung
 * process looks like from outside (the connection opens, the request goes out, nothing comes
 * back). With `reset`, it destroys the connection once a whole request has arrived instead:
 * the request was sent and may have run.
 */
export async function startHungServer(options: { port?: number; reset?: boolean } = {}): Promise<HungServer> {
  let received = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const headerEnd = buffered.indexOf('\r\n\r\n');
        if (headerEnd < 0) return;
        const head = buffered.subarray(0, headerEnd).toString('latin1');
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < headerEnd + 4 + length) return;
        if (head.startsWith('POST ')) received += 1;
        buffered = buffered.subarray(headerEnd + 4 + length);
        if (options.reset) return void socket.destroy();
      }
    });
  });
  const port = await listen(server, options.port ?? 0);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    close: () => closeServer(server, sockets),
  };
}

/**
 * A TCP proxy to a real service (Postgres, say), which a test can make hang (connections stay
 * open, nothing passes either way, new ones are accepted and left waiting) or cut (every
 * connection reset, new ones refused): the service becoming unreachable, without stopping it.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<{ port: number; hang(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let hung = false;
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    track(client);
    if (hung) return client.pause();
    const upstream = connect(target.port, target.host);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });
  const port = await listen(server);
  return {
    port,
    hang() {
      hung = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    close: () => closeServer(server, sockets),
  };
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}
