/** A plain HTTP file server on 127.0.0.1, for the tests' local repositories. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, normalize, sep } from 'node:path';

/** Serves `root`; the path of every request is pushed onto `requests`. */
export async function listen(root: string, requests: string[]): Promise<Server> {
  const server = createServer((request, response) => {
    void serveFile(root, requests, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return server;
}

/** Serves a file under `root` for GET and HEAD; anything else, or a missing file, is a 404. */
async function serveFile(
  root: string,
  requests: string[],
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://mirror').pathname;
  requests.push(path);
  const file = fileUnder(root, path);
  const size = file === undefined ? undefined : await fileSize(file);
  if (file === undefined || size === undefined || !['GET', 'HEAD'].includes(request.method ?? '')) {
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    return;
  }
  response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
  if (request.method === 'HEAD') response.end();
  else createReadStream(file).pipe(response);
}

/** The file a URL path names inside `root`, or undefined for a malformed path or one that escapes `root`. */
function fileUnder(root: string, urlPath: string): string | undefined {
  try {
    const file = normalize(join(root, decodeURIComponent(urlPath)));
    return file.startsWith(root + sep) ? file : undefined;
  } catch {
    return undefined;
  }
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    const info = await stat(path);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

export async function closeServer(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve, reject) => {
    server.close((error) => {
      if (error) reject(error);
      else resolve();
    });
  });
  server.closeAllConnections();
  await closed;
}
