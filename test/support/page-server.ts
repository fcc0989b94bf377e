/**
 * A tiny website for browser tests, on its own loopback port (so its origin differs from the
 * collector's): every GET answers the same HTML page, as a single-page app's server does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PageServer {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  close(): Promise<void>;
}

export async function startPageServer(html: (path: string) => string): Promise<PageServer> {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://page.invalid').pathname;
    if (request.method !== 'GET' || path === '/favicon.ico') {
      response.writeHead(404).end();
      return;
    }
    response
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(html(path));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    origin: `http://127.0.0.1:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      });
      return closing;
    },
  };
}

/** A shop page that loads the tracker asynchronously, as the README tells sites to. */
export function trackerPage(collectorUrl: string, writeKey: string, title: string): string {
  const attr = (value: string): string => value.replaceAll('&', '&amp;').replaceAll('"', '&quot;');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${title}</title>
    <script async src="${attr(collectorUrl)}/t.js" data-write-key="${attr(writeKey)}"></script>
    <style>body { font: 16px sans-serif; margin: 2rem; } button { padding: .5rem 1rem; }</style>
  </head>
  <body>
    <h1>${title}</h1>
    <p>Served by the test from its own origin; the tracker comes from the collector.</p>
    <button id="buy">Add to basket</button>
    <script>
      document.getElementById('buy').addEventListener('click', function () {
        window.pathcast.track('Clicked', { button: 'buy', price: 12.5 });
      });
    </script>
  </body>
</html>
`;
}
