import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendError } from './errors.js';

/**
 * Where the built web app is by default: `dist/web` of the package this file belongs to. Found by
 * walking up to the package.json, because this file runs from src/ (tsx, tests) and from dist/
 * (the build), at different depths.
 */
export function defaultWebRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const name = (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name;
      if (name === 'pathcast') return join(dir, 'dist', 'web');
    }
    const parent = dirname(dir);
    if (parent === dir) return join(dirname(from), 'web');
    dir = parent;
  }
}

/** The two pages of the app (Vite writes them at the root of its output). */
export type WebPage = 'index.html' | 'login.html';

/**
 * Serves the built app: its hashed assets under /assets/ (public: code and styles, no data; they
 * are immutable, so cached for a year), and the two HTML pages through `sendPage` (the caller
 * decides who may see which). Pages are read from disk on demand, so a build made while the
 * gateway runs is picked up; a missing build is a 503 saying how to make it.
 */
export async function registerWebApp(
  app: FastifyInstance,
  webRoot: string,
): Promise<(reply: FastifyReply, page: WebPage) => Promise<FastifyReply>> {
  await app.register(fastifyStatic, {
    root: join(webRoot, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    suppressWarning: true,
    immutable: true,
    maxAge: 365 * 86_400_000,
    schemaHide: true,
  });

  const cache = new Map<WebPage, string>();
  return async (reply, page) => {
    let html = cache.get(page);
    if (html === undefined) {
      try {
        html = await readFile(join(webRoot, page), 'utf8');
        cache.set(page, html);
      } catch {
        return sendError(reply, 'dashboard_not_built');
      }
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .send(html);
  };
}
