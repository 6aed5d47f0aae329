import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly url: string;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** A status to answer with, or `close` (the socket is destroyed unanswered), or `hang` (never answered). */
export type Answer = number | 'close' | 'hang';

/**
 * A notification service on 127.0.0.1 (a heartbeat monitor, a webhook): it records every request and answers as
 * told, so a test sees exactly what was sent and how the sender copes with a service that fails.
 */
export class HttpRecorder {
  readonly requests: RecordedRequest[] = [];
  answer: Answer = 200;
  readonly #server: Server = createServer((request, response) => void this.#handle(request, response));

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  /** `http://127.0.0.1:<port><path>`. */
  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  reset(): void {
    this.requests.length = 0;
    this.answer = 200;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => {
      this.#server.close((error) => {
        if (error) reject(error);
        else resolve();
      });
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    this.requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      contentType: request.headers['content-type'],
      body: Buffer.concat(chunks).toString('utf8'),
    });
    if (this.answer === 'hang') return;
    if (this.answer === 'close') {
      request.socket.destroy();
      return;
    }
    // The body quotes the path: a sender that printed the answer would leak the token.
    response.writeHead(this.answer, { 'content-type': 'text/plain' }).end(`answer for ${request.url ?? ''}`);
  }
}
