/**
 * A forward proxy on 127.0.0.1 that answers HTTP CONNECT the way a corporate proxy does, except that every tunnel,
 * whatever host it names, ends at one loopback port: so a test can download from a host name that resolves
 * nowhere, through the proxy, and know from `targets` that the request went through it. Anything but CONNECT is
 * refused: an `https://` download must tunnel.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ConnectProxy {
  /** `http://127.0.0.1:<port>`, for HTTPS_PROXY. */
  readonly url: string;
  /** The `host:port` of every CONNECT, in order. */
  readonly targets: string[];
  close(): Promise<void>;
}

/** Starts the proxy; every tunnel goes to `upstreamPort` on 127.0.0.1. */
export async function startConnectProxy(upstreamPort: number): Promise<ConnectProxy> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer((_request, response) => {
    response.writeHead(405, { 'content-type': 'text/plain' }).end('CONNECT only\n');
  });
  server.on('connection', track);
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    targets.push(request.url ?? '');
    const upstream = connect(upstreamPort, '127.0.0.1');
    track(upstream);
    upstream.once('connect', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => client.destroy());
    client.once('error', () => upstream.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
