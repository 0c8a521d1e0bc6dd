// Whatever a code comment relies on belongs in the repository: comments that cite a document
// (DESIGN.md, README.md, BENCHMARKS.md, ...) or a source path (sim/layout.ts, ../replay.ts) must
// name a file that exists, from the repository root or from the citing file's folder. (Six
// comments once cited a DESIGN.md that was never in the repository, and one a test file that
// did not exist.)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOTS = ['sim', 'agents', 'server', 'viewer/src', 'native', 'bench', 'test'];
const SKIP = new Set(['node_modules', 'dist', 'build']);

function sources(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (SKIP.has(name)) continue;
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(ts|mjs|c|h)$/.test(name)) out.push(p);
  }
  return out;
}

/** Citations in a comment: capitalised Markdown documents, and source paths with a folder. */
function citations(comment: string): string[] {
  const docs = [...comment.matchAll(/(?<![\w./-])((?:[\w.-]+\/)*[A-Z][\w-]*\.md)\b/g)].map((m) => m[1]);
  // "./x.ts" is how usage examples name a user's own file; a real citation names a project folder.
  const paths = [...comment.matchAll(/(?<![\w./-])((?:\.\.\/)*[a-z][\w-]*\/(?:[\w.-]+\/)*[\w.-]+\.(?:ts|mjs|c|h))\b/g)].map((m) => m[1]);
  return [...docs, ...paths];
}

describe('code comments', () => {
  it('cite only files that are in the repository', () => {
    const missing: string[] = [];
    // (this file names missing files on purpose)
    for (const file of ROOTS.flatMap((r) => sources(r)).filter((f) => f !== join('test', 'ci', 'comment-refs.test.ts'))) {
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const comment = /(?:\/\/|\/\*|^\s*\*)(.*)$/.exec(line)?.[1];
          if (!comment) return;
          for (const ref of citations(comment)) {
            if (![ref, join(dirname(file), ref), ...ROOTS.map((r) => join(r, ref))].some((p) => existsSync(p))) missing.push(`${file}:${i + 1} cites ${ref}`);
          }
        });
    }
    expect(missing).toEqual([]);
  });

  it('the check finds a missing citation (it is not vacuous)', () => {
    expect(citations('// see DESIGN.md and sim/nowhere.ts, or ./my-task.ts')).toEqual(['DESIGN.md', 'sim/nowhere.ts']);
  });
});
