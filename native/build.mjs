// `npm install` hook: builds the native BLAS kernels when a CBLAS is present, otherwise skips.
// It prints exactly one line and always exits 0: the project runs on tfjs's stock kernels without
// the addon, so a missing BLAS or compiler must never fail an install.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { detectCblas, withMvec } from './detect.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const tag = 'rrl native kernels:';
const logFile = join(here, 'build.log');

function say(line) {
  console.log(`${tag} ${line}`);
  process.exit(0);
}

// node-gyp ships inside npm; npm tells its scripts where (npm_config_node_gyp). Outside npm, look
// beside this Node's npm, then in the project.
function findNodeGyp() {
  const tries = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  try {
    tries.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not a project dependency */
  }
  return tries.find((p) => p && existsSync(p));
}

if (process.env.RRL_SKIP_NATIVE === '1') say('skipped (RRL_SKIP_NATIVE=1); stock tfjs kernels will be used');

const blas = withMvec(detectCblas());
if (!blas.name) {
  // A stale addon from an earlier build would hide the fact that the BLAS is gone.
  rmSync(join(here, 'build'), { recursive: true, force: true });
  say(`skipped: ${blas.reason}; stock tfjs kernels will be used (install libopenblas-dev for the fast path)`);
}

const gyp = findNodeGyp();
if (!gyp) say('skipped: node-gyp not found; stock tfjs kernels will be used');

const args = [gyp, 'rebuild'];
// Build against this Node's own headers when it has them: no header download (no network here).
const prefix = dirname(dirname(process.execPath));
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const r = spawnSync(process.execPath, args, {
  cwd: here,
  encoding: 'utf8',
  env: { ...process.env, RRL_BLAS_JSON: JSON.stringify(blas) },
});
writeFileSync(logFile, `${r.stdout ?? ''}\n${r.stderr ?? ''}\n${r.error ?? ''}`);
if (r.status !== 0) say(`build failed (log: native/build.log); stock tfjs kernels will be used`);
say(`built against ${blas.name}${blas.mvec ? ' and libmvec' : ''} (native/build/Release/rrl_blas.node)`);
