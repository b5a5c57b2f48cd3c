import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP peer that accepts connections and never answers: what a hung process looks like from
 * outside (the connection opens, the request goes out, nothing comes back).
 */
export async function startHungServer(): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
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

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}
