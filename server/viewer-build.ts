// Builds the viewer with Vite when its output is missing or older than its sources, so neither
// `npm install` (postinstall runs this file) nor `npm start` needs a manual build step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const VIEWER_DIR = join(root, 'viewer');
export const VIEWER_DIST = join(VIEWER_DIR, 'dist');

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = 0;
  for (const e of readdirSync(path)) m = Math.max(m, newestMtime(join(path, e)));
  return m;
}

/** True when viewer/dist is missing or older than any of its inputs. */
export function viewerIsStale(): boolean {
  const built = join(VIEWER_DIST, 'index.html');
  if (!existsSync(built)) return true;
  const inputs = Math.max(
    newestMtime(join(VIEWER_DIR, 'src')),
    newestMtime(join(VIEWER_DIR, 'index.html')),
    newestMtime(join(VIEWER_DIR, 'bench.html')),
    newestMtime(join(VIEWER_DIR, 'vite.config.ts')),
    newestMtime(join(root, 'server', 'protocol.ts')),
  );
  return statSync(built).mtimeMs < inputs;
}

/** Builds the viewer if it is stale (or always, with force). Returns whether it built. */
export async function ensureViewerBuilt(opts: { force?: boolean; log?: (s: string) => void } = {}): Promise<boolean> {
  if (!opts.force && !viewerIsStale()) return false;
  const log = opts.log ?? ((s: string) => console.log(s));
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    throw new Error('the viewer is not built and Vite is not installed: run `npm install` (with dev dependencies), then `npm run build:viewer`');
  }
  log('building the viewer (vite)...');
  const t0 = performance.now();
  await vite.build({ configFile: join(VIEWER_DIR, 'vite.config.ts'), logLevel: 'warn' });
  log(`viewer built in ${((performance.now() - t0) / 1000).toFixed(1)} s -> ${VIEWER_DIST}`);
  return true;
}

// `tsx server/viewer-build.ts [--force]`: used by postinstall and `npm run build:viewer`.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  ensureViewerBuilt({ force: process.argv.includes('--force') }).then(
    (built) => {
      if (!built) console.log('viewer is up to date');
    },
    (e: Error) => {
      console.error(`viewer build failed: ${e.message}`);
      process.exitCode = 1;
    },
  );
}
