/**
 * Downloading a customer's file from the Bot API: the bytes at `/file/bot<token>/<path>`, refusals
 * over the limit without reading the rest, failures worded without the token, one connection kept
 * for the next photo, and a kept connection the server dropped asked again on a new one.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Api } from 'grammy';
import { TelegramFiles } from '../../../src/bot/services/telegram-files.ts';

const TOKEN = '123:SECRET-token';
const LIMIT = 64 * 1024;

type Route = (request: http.IncomingMessage, response: http.ServerResponse) => void;

/** A Bot API file server whose answer each test chooses; counts connections and requests. */
function fileServer() {
  let route: Route = (_request, response) => response.end('default');
  const state = { connections: 0, paths: [] as string[], route: (next: Route) => (route = next) };
  const server = http.createServer((request, response) => {
    state.paths.push(request.url ?? '');
    route(request, response);
  });
  server.on('connection', () => (state.connections += 1));
  return { server, state };
}

/** An `Api` whose getFile answers `filePath`. */
function apiLocating(filePath: string): Api {
  return { getFile: (fileId: string) => Promise.resolve({ file_id: fileId, file_unique_id: 'u', file_path: filePath }) } as unknown as Api;
}

describe('TelegramFiles.download over HTTP', () => {
  const { server, state } = fileServer();
  let root = '';
  let files: TelegramFiles;

  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    files?.close();
    files = new TelegramFiles({ token: TOKEN, apiRoot: root, maxBytes: LIMIT, timeoutMs: 2_000 });
    state.paths.length = 0;
    state.connections = 0;
  });
  after(async () => {
    files.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('returns the bytes served at /file/bot<token>/<file_path>', async () => {
    const photo = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    state.route((_request, response) => response.end(photo));
    const download = await files.download(apiLocating('photos/file_7.jpg'), 'F1');
    assert.deepEqual(download, { kind: 'ok', data: photo });
    assert.deepEqual(state.paths, [`/file/bot${TOKEN}/photos/file_7.jpg`]);
  });

  it('keeps one connection for the photos that follow', async () => {
    state.route((_request, response) => response.end('jpeg bytes'));
    for (let i = 0; i < 3; i += 1) assert.equal((await files.download(apiLocating(`photos/${i}.jpg`), 'F')).kind, 'ok');
    assert.equal(state.paths.length, 3);
    assert.equal(state.connections, 1);
  });

  it('refuses a declared size over the limit without waiting for the body', async () => {
    state.route((_request, response) => {
      response.writeHead(200, { 'content-length': String(LIMIT * 4) });
      // Only the start is ever written: the download must not wait for the rest.
      response.write(Buffer.alloc(1024));
    });
    assert.deepEqual(await files.download(apiLocating('documents/big.jpg'), 'F'), { kind: 'too-large', bytes: LIMIT * 4, limit: LIMIT });
  });

  it('stops reading an undeclared body as soon as it passes the limit', async () => {
    let written = 0;
    state.route((_request, response) => {
      // Chunked, no length; keeps writing until the client goes away.
      const chunk = Buffer.alloc(16 * 1024);
      const write = (): void => {
        if (response.destroyed || written > LIMIT * 64) return void response.end();
        written += chunk.length;
        if (response.write(chunk)) setImmediate(write);
        else response.once('drain', write);
      };
      write();
    });
    const download = await files.download(apiLocating('documents/endless.jpg'), 'F');
    assert.equal(download.kind, 'too-large');
    assert.ok(download.kind === 'too-large' && download.bytes > LIMIT && download.bytes <= LIMIT + 16 * 1024, `stopped after ${download.kind === 'too-large' ? download.bytes : '?'} bytes`);
  });

  it('fails with the HTTP status and never the token', async () => {
    state.route((_request, response) => {
      response.statusCode = 404;
      response.end('{"ok":false}');
    });
    await assert.rejects(files.download(apiLocating('photos/gone.jpg'), 'F'), (error: Error) => {
      assert.match(error.message, /HTTP 404/);
      assert.ok(!error.message.includes('SECRET'), error.message);
      return true;
    });
  });

  it('fails when the connection drops in the middle of the file', async () => {
    state.route((_request, response) => {
      response.writeHead(200, { 'content-length': '10000' });
      response.write(Buffer.alloc(100), () => response.socket?.destroy());
    });
    await assert.rejects(files.download(apiLocating('photos/cut.jpg'), 'F'), /file download failed/);
  });

  it('gives up at its time limit when no answer comes', async () => {
    const short = new TelegramFiles({ token: TOKEN, apiRoot: root, maxBytes: LIMIT, timeoutMs: 50 });
    state.route(() => undefined);
    try {
      await assert.rejects(short.download(apiLocating('photos/slow.jpg'), 'F'), (error: Error) => {
        assert.match(error.message, /time limit/);
        assert.ok(!error.message.includes('SECRET'), error.message);
        return true;
      });
    } finally {
      short.close();
      server.closeAllConnections();
    }
  });

  it('asks again on a new connection when the kept one was closed by the server as it was reused', async () => {
    state.route((request, response) => {
      // The second request on a connection finds it closed, as when a server's keep-alive timeout
      // ends just as the next photo is asked for.
      const socket = request.socket as typeof request.socket & { served?: number };
      socket.served = (socket.served ?? 0) + 1;
      if (socket.served > 1) return void socket.destroy();
      response.end('fresh');
    });
    assert.equal((await files.download(apiLocating('photos/a.jpg'), 'F')).kind, 'ok');
    const second = await files.download(apiLocating('photos/b.jpg'), 'F');
    assert.deepEqual(second, { kind: 'ok', data: Buffer.from('fresh') });
    assert.equal(state.connections, 2);
  });
});
