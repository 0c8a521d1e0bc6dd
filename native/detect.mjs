// Finds a CBLAS to link the native kernels against, by test-compiling a call to cblas_sgemm with
// each candidate's flags: a header that exists but a library that does not (or the reverse) is the
// usual half-installed state, and only a real compile + link tells them apart.
//
// Used by build.mjs, and by binding.gyp (`node detect.mjs --gyp libs|cflags|defines`), which reads
// the answer build.mjs left in RRL_BLAS_JSON so the test compiles run once per install.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const probe = `#include <stddef.h>
#ifdef RRL_ACCELERATE
#include <Accelerate/Accelerate.h>
#else
#include <cblas.h>
#endif
int main(void) {
  float a[4] = {1, 2, 3, 4}, b[4] = {1, 0, 0, 1}, c[4];
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 2, 1.f, a, 2, b, 2, 0.f, c, 2);
  return c[3] == 4.f ? 0 : 1;
}
`;

function pkgConfig(name) {
  const r = spawnSync('pkg-config', ['--cflags', '--libs', name], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const flags = r.stdout.trim().split(/\s+/).filter(Boolean);
  return { cflags: flags.filter((f) => !f.startsWith('-l') && !f.startsWith('-L')), libs: flags.filter((f) => f.startsWith('-l') || f.startsWith('-L')) };
}

function candidates() {
  if (process.platform === 'darwin') {
    return [{ name: 'Accelerate', cflags: [], libs: ['-framework', 'Accelerate'], defines: ['RRL_ACCELERATE', 'ACCELERATE_NEW_LAPACK'] }];
  }
  const list = [];
  const ob = pkgConfig('openblas');
  if (ob) list.push({ name: 'OpenBLAS', ...ob, defines: ['RRL_OPENBLAS'] });
  list.push({ name: 'OpenBLAS', cflags: ['-I/usr/include/openblas'], libs: ['-lopenblas'], defines: ['RRL_OPENBLAS'] });
  const cb = pkgConfig('cblas');
  if (cb) list.push({ name: 'CBLAS', ...cb, defines: [] });
  list.push({ name: 'CBLAS', cflags: [], libs: ['-lcblas'], defines: [] });
  list.push({ name: 'CBLAS', cflags: [], libs: ['-lblas'], defines: [] });
  return list;
}

/** @returns {{name:string, cflags:string[], libs:string[], defines:string[]} | {name:null, reason:string}} */
export function detectCblas() {
  const cc = process.env.CC || 'cc';
  const dir = mkdtempSync(join(tmpdir(), 'rrl-cblas-'));
  try {
    const src = join(dir, 'probe.c');
    writeFileSync(src, probe);
    let lastErr = '';
    for (const c of candidates()) {
      const args = [...c.cflags, ...c.defines.map((d) => `-D${d}`), src, '-o', join(dir, 'probe'), ...c.libs, '-lm'];
      const r = spawnSync(cc, args, { encoding: 'utf8' });
      if (r.error) return { name: null, reason: `no C compiler (${cc}: ${r.error.message})` };
      if (r.status !== 0) {
        // the compiler's first error, without the temporary file's path
        const line = (r.stderr || '').split('\n').find((l) => /error/i.test(l)) || 'compile failed';
        lastErr = line.replace(/^.*?(fatal )?error:\s*/i, '');
        continue;
      }
      const run = spawnSync(join(dir, 'probe'));
      if (run.status === 0) return c;
      lastErr = `${c.name} probe ran but returned ${run.status}`;
    }
    return { name: null, reason: `no CBLAS header + library found (${lastErr.trim()})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mvecProbe = `#include <immintrin.h>
__m256 _ZGVdN8v_tanhf(__m256 x);
__attribute__((target("avx2,fma"))) static float first(float v) {
  float out[8];
  _mm256_storeu_ps(out, _ZGVdN8v_tanhf(_mm256_set1_ps(v)));
  return out[0];
}
int main(void) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return 0;
  return first(0.5f) > 0.46f && first(0.5f) < 0.47f ? 0 : 1;
}
`;

/**
 * glibc's libmvec (AVX2 tanh/exp/log for the policy head, rrl_vmath.c): on x86-64 Linux when a
 * probe calling it compiles, links and runs (the run checks an answer only on an AVX2 CPU; the
 * addon decides again at load). Adds its define and library to a found CBLAS.
 */
export function withMvec(blas) {
  if (!blas.name || process.platform !== 'linux' || process.arch !== 'x64') return blas;
  const cc = process.env.CC || 'cc';
  const dir = mkdtempSync(join(tmpdir(), 'rrl-mvec-'));
  try {
    const src = join(dir, 'probe.c');
    writeFileSync(src, mvecProbe);
    const r = spawnSync(cc, [src, '-o', join(dir, 'probe'), '-lmvec', '-lm'], { encoding: 'utf8' });
    if (r.error || r.status !== 0 || spawnSync(join(dir, 'probe')).status !== 0) return blas;
    return { ...blas, defines: [...blas.defines, 'RRL_MVEC'], libs: [...blas.libs, '-lmvec'], mvec: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node detect.mjs --gyp libs|cflags|defines`: space-separated answers for binding.gyp.
if (process.argv[2] === '--gyp') {
  const found = process.env.RRL_BLAS_JSON ? JSON.parse(process.env.RRL_BLAS_JSON) : withMvec(detectCblas());
  const what = process.argv[3];
  if (!found.name) process.exit(1);
  const out = what === 'libs' ? found.libs : what === 'cflags' ? found.cflags : found.defines;
  process.stdout.write(out.join(' '));
} else if (process.argv[2] === '--print') {
  console.log(JSON.stringify(withMvec(detectCblas())));
}
