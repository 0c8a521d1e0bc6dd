// TEMPORARY STAND-IN for sim/language.ts, which another helper is writing (the task's description
// embedded with pretrained word vectors). Same interface: `LANGUAGE_DIM` and `languageVector(text)`.
// When sim/language.ts lands, this file becomes
//   export { LANGUAGE_DIM, languageVector } from '../sim/language.ts';
// and nothing else changes (checkpoints made with this stand-in are then refused: their language
// vectors differ, and the agent spec is checked against them).
//
// Here: a deterministic hashed bag of words. Each word gets a fixed pseudo-random unit vector from
// its FNV-1a hash; a text's vector is the normalised mean of its words' vectors, so descriptions
// that share words point in similar directions. No meaning beyond shared words.
import { Rng } from '../sim/rng.ts';

export const LANGUAGE_DIM = 100;

function fnv1a(word: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < word.length; i++) {
    h ^= word.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function languageVector(text: string): Float32Array {
  const out = new Float64Array(LANGUAGE_DIM);
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  const v = new Float32Array(LANGUAGE_DIM);
  for (const w of words) {
    new Rng(fnv1a(w), 0x1a9).fillNormal(v);
    for (let i = 0; i < LANGUAGE_DIM; i++) out[i] += v[i];
  }
  const norm = Math.hypot(...out) || 1;
  return Float32Array.from(out, (x) => x / norm);
}
