/**
 * A local stand-in for Instagram's attachment CDN: serves registered bytes under
 * `http://127.0.0.1:<port>/<name>` with a chosen content type, with or without `Content-Length`
 * (chunked, to test that downloads stop at the byte limit without trusting headers).
 */
import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback } from '../loopback-server.ts';

interface Hosted {
  readonly body: Buffer;
  readonly contentType: string;
  readonly chunked: boolean;
}

export class ImageHost {
  /** Requests per name. */
  readonly hits = new Map<string, number>();
  private readonly files = new Map<string, Hosted>();
  private readonly server: Server;
  private port = 0;

  constructor() {
    this.server = createServer((request, response) => {
      const name = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname.slice(1));
      this.hits.set(name, (this.hits.get(name) ?? 0) + 1);
      const file = this.files.get(name);
      if (!file) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('URL signature expired');
        return;
      }
      response.writeHead(200, { 'content-type': file.contentType, ...(file.chunked ? {} : { 'content-length': String(file.body.length) }) });
      if (!file.chunked) {
        response.end(file.body);
        return;
      }
      // Chunked: 16 KB at a time, so a client that stops reading stops the transfer.
      let offset = 0;
      const writeMore = (): void => {
        while (offset < file.body.length) {
          const chunk = file.body.subarray(offset, offset + 16 * 1024);
          offset += chunk.length;
          if (!response.write(chunk)) {
            response.once('drain', writeMore);
            return;
          }
        }
        response.end();
      };
      response.on('error', () => undefined);
      writeMore();
    });
  }

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.server);
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  /** Serves `body` at the returned URL. */
  host(name: string, body: Buffer, contentType = 'image/jpeg', options: { chunked?: boolean } = {}): string {
    this.files.set(name, { body, contentType, chunked: options.chunked ?? false });
    return `http://127.0.0.1:${this.port}/${encodeURIComponent(name)}`;
  }
}
