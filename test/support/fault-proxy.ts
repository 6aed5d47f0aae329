import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What the proxy does to a request it is asked to fault. */
export type Fault =
  | { readonly kind: 'status'; readonly status: 500 | 503; readonly times: number }
  /** An S3 error answer of the given status and code, with extra elements (`StorageClass`…) beside them. */
  | {
      readonly kind: 'error';
      readonly status: number;
      readonly code: string;
      readonly fields?: Readonly<Record<string, string>>;
      readonly times: number;
    }
  | { readonly kind: 'stall' }
  | { readonly kind: 'down'; readonly backOn: (request: IncomingMessage) => boolean };

export interface FaultProxy {
  /** The endpoint to give the action instead of the S3 server's. */
  readonly url: string;
  /** Requests seen, as `METHOD path?query`. */
  readonly requests: string[];
  /** Requests answered with an injected error status so far. */
  readonly faulted: () => number;
  /** Faults requests that `match` (default: part uploads) from now on. */
  inject(fault: Fault, match?: (request: IncomingMessage) => boolean): void;
  /** Back to passing everything through. */
  heal(): Promise<void>;
  stop(): Promise<void>;
}

/** A part of a multipart upload: `PUT …?partNumber=N&uploadId=…`. */
export const isUploadPart = (request: IncomingMessage): boolean =>
  request.method === 'PUT' && /[?&]partNumber=/.test(request.url ?? '');

/** A listing of pending multipart uploads: `GET …?uploads`. */
export const isUploadsListing = (request: IncomingMessage): boolean =>
  request.method === 'GET' && /[?&]uploads(=|&|$)/.test(request.url ?? '');

/**
 * An HTTP proxy on 127.0.0.1 in front of the real S3 server that can answer 500/503 (or any S3 error) for a while, stall a request
 * (read nothing, answer nothing), or go down (reset every connection as its request arrives, as an address with
 * nothing behind it does) until a request `backOn` accepts, as a network or a provider does. Coming back on a
 * request rather than after a delay keeps a test's outcome independent of how fast the machine is. Requests pass
 * through byte for byte, Host header included, so SigV4 signatures stay valid.
 */
export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  let fault: Fault | undefined;
  let matches: (request: IncomingMessage) => boolean = isUploadPart;
  let remaining = 0;
  let faulted = 0;

  const forward = (request: IncomingMessage, response: ServerResponse) => {
    const upstreamRequest = httpRequest(
      {
        hostname: target.hostname,
        port: target.port,
        method: request.method,
        path: request.url,
        headers: request.headers,
      },
      (upstreamResponse) => {
        response.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers);
        upstreamResponse.pipe(response);
      },
    );
    upstreamRequest.on('error', () => response.destroy());
    request.pipe(upstreamRequest);
  };

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    requests.push(`${request.method ?? ''} ${request.url ?? ''}`);
    if (fault?.kind === 'down') {
      if (!fault.backOn(request)) {
        request.socket.resetAndDestroy();
        return;
      }
      fault = undefined;
    }
    if (fault && matches(request)) {
      if (fault.kind === 'stall') return; // read nothing, answer nothing
      if (remaining > 0) {
        remaining--;
        faulted++;
        request.resume();
        const code =
          fault.kind === 'error' ? fault.code : fault.status === 503 ? 'SlowDown' : 'InternalError';
        const fields = Object.entries(fault.kind === 'error' ? (fault.fields ?? {}) : {})
          .map(([name, value]) => `<${name}>${value}</${name}>`)
          .join('');
        response.writeHead(fault.status, { 'Content-Type': 'application/xml' });
        response.end(
          `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code>` +
            `<Message>injected by the test</Message>${fields}</Error>`,
        );
        return;
      }
    }
    forward(request, response);
  };

  const server: Server = createServer(handle);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    faulted: () => faulted,
    inject(next, match = isUploadPart) {
      fault = next;
      matches = match;
      remaining = next.kind === 'status' || next.kind === 'error' ? next.times : 0;
      if (next.kind === 'down') for (const socket of sockets) socket.resetAndDestroy();
    },
    heal() {
      fault = undefined;
      return Promise.resolve();
    },
    async stop() {
      fault = undefined;
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
