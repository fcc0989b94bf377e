import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

/**
 * The dashboard's build: two pages (the dashboard and its login form) into dist/web, which the
 * gateway serves (src/gateway/dashboard/web-app.ts). `npm run build:web` runs it; in development
 * `npx vite --config web/vite.config.ts` proxies the API to a gateway on PATHCAST_PORT or 8080.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    // ECharts (tree-shaken) plus the world outline is most of the bundle.
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      input: { index: here('index.html'), login: here('login.html') },
    },
  },
  server: {
    proxy: {
      '/api': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
});
