// Builds the viewer into viewer/dist (served by server/http.ts). Relative base, so the server can
// serve it from any path; the viewer reaches outside its folder only for server/protocol.ts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      // Two pages: the live viewer, and the benchmark report page (bench.html, src/bench.ts).
      input: { main: `${root}index.html`, bench: `${root}bench.html` },
      // zod ships comments Rollup cannot place; the warning is about comments only.
      onwarn(w, warn) {
        if (w.code === 'INVALID_ANNOTATION' && w.id?.includes('node_modules/zod')) return;
        warn(w);
      },
    },
  },
});
