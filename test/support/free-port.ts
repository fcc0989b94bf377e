import { createServer } from 'node:net';

/**
 * A port nothing listens on now: the OS picks it, and it is closed again before the caller's
 * server binds it (a tiny race, harmless on a test machine's loopback).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port from the OS');
  return address.port;
}
