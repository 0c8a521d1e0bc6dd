// Settings and command-line options, each declared once: its type, default, what values are
// allowed, its help text and its flag. From that one declaration come the check of a value set in
// code (makeConfig), the parsing of its flag (strict numbers, through sim/cli/args.ts), the parseArgs
// option and its line of --help. The training settings (agents/config.ts) and every CLI's own
// options (train, evaluate, start, bench) are declared with the builders below.
import { z } from 'zod';
import { fmt, intFlag, listFlag, numFlag, parseFlags, UsageError } from '../../sim/cli/args.ts';

export interface Setting<T> {
  readonly default: T;
  /** What it is, for --help (a phrase; the allowed values and the default are added). */
  readonly help: string;
  /** Command-line flag without the dashes; null: settable from code only. */
  readonly flag: string | null;
  /** The value's placeholder in --help ("N", "a,b,..."); "" for a switch. */
  readonly metavar: string;
  /** What is allowed, in words: "an integer from 1 to 64". */
  readonly allowed: string;
  /** What --help says the flag takes ("" for nothing: a path, a name). */
  readonly flagAllowed: string;
  /** A heading under which --help lists it. */
  readonly group: string;
  /** A switch takes no value (parseArgs' boolean); everything else takes one. */
  readonly isSwitch: boolean;
  /** The default as --help shows it, where the value itself reads badly. */
  readonly shownDefault?: string;
  /** Null when `v` is allowed, else what is wrong with it. */
  check(v: unknown): string | null;
  /** A flag's text as a value; a UsageError names the flag and what is allowed. */
  parse(text: string): T;
  /** A value as --help shows it. */
  show(v: T): string;
  /**
   * The same setting with some declaration fields changed: a CLI's own default, narrower range or
   * wording (`SETTINGS.seed.derive({ default: 1 })`), said where it differs.
   */
  derive(patch: Record<string, unknown>): Setting<T>;
}

interface Common<T> {
  default: T;
  help: string;
  /** Default: none (code only). */
  flag?: string | null;
  metavar?: string;
  group?: string;
  /** The default as --help shows it, where the value itself reads badly. */
  shown?: string;
}

/** A number as a plain decimal ("0.00000001", not "1e-8": the flags refuse exponents). */
export function decimal(n: number): string {
  if (Number.isInteger(n)) return fmt(n);
  const s = String(n);
  const m = /e-(\d+)$/.exec(s);
  if (!m) return s;
  const digits = Number(m[1]) + (s.split('e')[0].replace(/^-?\d\.?/, '').length);
  return n.toFixed(Math.min(100, digits));
}

function make<T>(o: Common<T>, rebuild: (patch: Record<string, unknown>) => Setting<T>, p: { metavar: string; allowed: string; flagAllowed?: string; check(v: unknown): boolean; parse(text: string, flag: string): T; show(v: T): string; isSwitch?: boolean; none?: string }): Setting<T> {
  const flag = o.flag ?? null;
  const none = p.none;
  return {
    default: o.default,
    help: o.help,
    flag,
    metavar: o.metavar ?? p.metavar,
    allowed: p.allowed,
    flagAllowed: p.flagAllowed ?? p.allowed,
    group: o.group ?? 'Options',
    isSwitch: p.isSwitch ?? false,
    shownDefault: o.shown,
    check: (v) => ((none !== undefined && v === null) || p.check(v) ? null : `must be ${p.allowed}${none === undefined ? '' : ` or null (${none})`}, got ${JSON.stringify(v)}`),
    parse: (text) => p.parse(text, flag ?? '(no flag)'),
    show: (v) => (v === null && none !== undefined ? none : p.show(v)),
    derive: rebuild,
  };
}

interface IntOpts extends Common<number> {
  min: number;
  max: number;
}
/** An integer in [min, max] (plain decimal digits on the command line). */
export function int(o: IntOpts): Setting<number>;
/** The same, or null meaning `none`. */
export function int(o: Omit<IntOpts, 'default'> & { default: number | null; none: string }): Setting<number | null>;
export function int(o: Omit<IntOpts, 'default'> & { default: number | null; none?: string }): Setting<number | null> {
  return make(o as Common<number | null>, (patch) => int({ ...o, ...patch } as IntOpts), {
    metavar: 'N',
    allowed: `an integer from ${fmt(o.min)} to ${fmt(o.max)}`,
    check: (v) => Number.isSafeInteger(v) && (v as number) >= o.min && (v as number) <= o.max,
    parse: (text, flag) => intFlag(flag, text, 0, o.min, o.max),
    show: (v) => fmt(v as number),
    none: o.none,
  });
}

interface NumOpts extends Common<number> {
  /** Inclusive bounds. */
  min?: number;
  max?: number;
  /** Exclusive bounds. */
  above?: number;
  below?: number;
  /** The flag's own reading of its text (another unit, a special message), with what it allows. */
  fromFlag?: { parse(text: string): number; allowed: string };
}
function numAllowed(o: NumOpts): string {
  if (o.min !== undefined && o.max !== undefined) return `a number from ${decimal(o.min)} to ${decimal(o.max)}`;
  const lo = o.min !== undefined ? `at least ${decimal(o.min)}` : o.above !== undefined ? `above ${decimal(o.above)}` : null;
  const hi = o.max !== undefined ? `at most ${decimal(o.max)}` : o.below !== undefined ? `below ${decimal(o.below)}` : null;
  return `a number${[lo, hi].filter(Boolean).length ? ' ' + [lo, hi].filter(Boolean).join(' and ') : ' (finite)'}`;
}
/** A finite real number within the given bounds (plain decimals on the command line). */
export function num(o: NumOpts): Setting<number>;
export function num(o: Omit<NumOpts, 'default'> & { default: number | null; none: string }): Setting<number | null>;
export function num(o: Omit<NumOpts, 'default'> & { default: number | null; none?: string }): Setting<number | null> {
  const inRange = (n: number) =>
    Number.isFinite(n) && !(o.min !== undefined && n < o.min) && !(o.max !== undefined && n > o.max) && !(o.above !== undefined && n <= o.above) && !(o.below !== undefined && n >= o.below);
  const allowed = numAllowed(o as NumOpts);
  return make(o as Common<number | null>, (patch) => num({ ...o, ...patch } as NumOpts), {
    metavar: 'X',
    allowed,
    flagAllowed: o.fromFlag?.allowed,
    check: (v) => typeof v === 'number' && inRange(v),
    parse: (text, flag) => {
      if (o.fromFlag) return o.fromFlag.parse(text);
      let n = NaN;
      try {
        n = numFlag(flag, text, 0, -Infinity, Infinity);
      } catch {
        // not a plain decimal: the message below says what is wanted
      }
      if (!inRange(n)) throw new UsageError(`--${flag} must be ${allowed} (plain decimal), got "${text}"`);
      return n;
    },
    show: (v) => decimal(v as number),
    none: o.none,
  });
}

/** true or false (on the command line: `--flag true`, `--flag false`). */
export function bool(o: Common<boolean>): Setting<boolean> {
  return make(o, (patch) => bool({ ...o, ...patch }), {
    metavar: 'true|false',
    allowed: 'true or false',
    check: (v) => typeof v === 'boolean',
    parse: (text, flag) => {
      if (text === 'true' || text === 'false') return text === 'true';
      throw new UsageError(`--${flag} must be true or false, got "${text}"`);
    },
    show: String,
  });
}

/** A flag without a value (`--json`): present or not. Never set from code. */
export function flagSwitch(o: { flag: string; help: string; group?: string }): Setting<boolean> {
  return make({ ...o, default: false }, (patch) => flagSwitch({ ...o, ...patch }), { metavar: '', allowed: 'present or absent', check: (v) => typeof v === 'boolean', parse: () => true, show: String, isSwitch: true });
}

/** One of a fixed list of names; with `none`, null when not given. */
export function choice<const V extends string>(o: Common<V> & { values: readonly V[] }): Setting<V>;
export function choice<const V extends string>(o: Omit<Common<V>, 'default'> & { default: V | null; none: string; values: readonly V[] }): Setting<V | null>;
export function choice<const V extends string>(o: Omit<Common<V>, 'default'> & { default: V | null; none?: string; values: readonly V[] }): Setting<V | null> {
  return make(o as Common<V | null>, (patch) => choice({ ...o, ...patch } as Common<V> & { values: readonly V[] }), {
    metavar: 'NAME',
    allowed: `one of ${o.values.join(', ')}`,
    check: (v) => (o.values as readonly unknown[]).includes(v),
    parse: (text, flag) => {
      if ((o.values as readonly string[]).includes(text)) return text as V;
      throw new UsageError(`--${flag} must be one of ${o.values.join(', ')}, got "${text}"`);
    },
    show: String,
    none: o.none,
  });
}

/** A non-empty string (a path, a name); with `none`, null when not given. */
export function text(o: Common<string> & { fromFlag?: (text: string) => string }): Setting<string>;
export function text(o: Omit<Common<string>, 'default'> & { default: string | null; none: string; fromFlag?: (text: string) => string }): Setting<string | null>;
export function text(o: Omit<Common<string>, 'default'> & { default: string | null; none?: string; fromFlag?: (text: string) => string }): Setting<string | null> {
  return make(o as Common<string | null>, (patch) => text({ ...o, ...patch } as Common<string>), {
    metavar: 'TEXT',
    allowed: 'a non-empty string',
    flagAllowed: '',
    check: (v) => typeof v === 'string' && v.length > 0,
    parse: (t, flag) => {
      if (t.length === 0) throw new UsageError(`--${flag} must not be empty`);
      return o.fromFlag ? o.fromFlag(t) : t;
    },
    show: String,
    none: o.none,
  });
}

/**
 * A non-empty comma-separated list of items of one kind (`a,b,c`); `unique` refuses repeats. Each
 * item is parsed and checked by `item`, under this list's flag.
 */
export function list<T>(o: Common<T[]> & { item: Setting<T>; unique?: string }): Setting<T[]> {
  const items = o.flag ? o.item.derive({ flag: o.flag }) : o.item;
  return make(o, (patch) => list({ ...o, ...patch }), {
    metavar: 'a,b,...',
    allowed: `a non-empty comma-separated list, each ${items.allowed}${o.unique ? ', none twice' : ''}`,
    flagAllowed: [items.flagAllowed && `each ${items.flagAllowed}`, o.unique && 'none twice'].filter(Boolean).join(', '),
    check: (v) => Array.isArray(v) && v.length > 0 && v.every((x) => items.check(x) === null) && (!o.unique || new Set(v).size === v.length),
    parse: (t, flag) => {
      let parts: string[];
      try {
        parts = listFlag(t, []);
      } catch {
        throw new UsageError(`--${flag} must be a comma-separated list, got "${t}"`);
      }
      const out = parts.map((p) => items.parse(p));
      if (o.unique && new Set(out).size !== out.length) throw new UsageError(`--${flag}: ${o.unique}`);
      return out;
    },
    show: (v) => v.map((x) => items.show(x)).join(','),
  });
}

/** Two numbers `LO,HI` with LO below HI (a range). */
export function range(o: Omit<Common<[number, number]>, 'default'> & { default: [number, number] | null; none: string }): Setting<[number, number] | null> {
  const ok = (v: unknown) => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && v[0] < v[1];
  return make(o as Common<[number, number] | null>, (patch) => range({ ...o, ...patch }), {
    metavar: 'LO,HI',
    allowed: 'two finite numbers LO,HI with LO below HI',
    check: ok,
    parse: (t, flag) => {
      const parts = t.split(',');
      const v = parts.length === 2 ? parts.map((p) => numFlag(flag, p.trim(), 0, -Infinity, Infinity)) : [];
      if (!ok(v)) throw new UsageError(`--${flag} must be two plain decimals LO,HI with LO below HI, got "${t}"`);
      return v as [number, number];
    },
    show: (v) => (v as number[]).map(decimal).join(','),
    none: o.none,
  });
}

/** A tree of settings: the shape of the values it describes (agents/config.ts's `sac` is a subtree). */
export type SettingsTree = { readonly [key: string]: Setting<any> | SettingsTree };
export type ValuesOf<S> = { -readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : ValuesOf<S[K]> };
/** Values for some settings of a tree (nested trees partial too). */
export type Overrides<S> = { -readonly [K in keyof S]?: S[K] extends Setting<infer T> ? T : Overrides<S[K]> };

export function isSetting(x: unknown): x is Setting<any> {
  return typeof x === 'object' && x !== null && 'check' in x && 'parse' in x;
}

/** Every setting of a tree with its dotted path ("sac.gamma"), in declaration order. */
export function walk(tree: SettingsTree, prefix = ''): [string, Setting<unknown>][] {
  return Object.entries(tree).flatMap(([k, v]) => (isSetting(v) ? [[prefix + k, v] as [string, Setting<unknown>]] : walk(v, `${prefix}${k}.`)));
}

export function defaultsOf<S extends SettingsTree>(tree: S): ValuesOf<S> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree)) out[k] = isSetting(v) ? structuredClone(v.default) : defaultsOf(v);
  return out as ValuesOf<S>;
}

/** What is wrong with `values` (every setting of the tree checked; keys outside it refused), as "path (--flag): problem" lines. */
export function problems(tree: SettingsTree, values: Record<string, unknown>, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of Object.keys(values)) if (!(k in tree)) out.push(`${prefix}${k}: unknown setting; known: ${Object.keys(tree).join(', ')}`);
  for (const [k, s] of Object.entries(tree)) {
    const v = values[k];
    if (isSetting(s)) {
      const p = s.check(v);
      if (p) out.push(`${prefix}${k}${s.flag ? ` (--${s.flag})` : ''}: ${p}`);
    } else if (typeof v !== 'object' || v === null || Array.isArray(v)) out.push(`${prefix}${k}: must be an object of settings, got ${JSON.stringify(v)}`);
    else out.push(...problems(s, v as Record<string, unknown>, `${prefix}${k}.`));
  }
  return out;
}

/** Overlays `over` on `base` (nested trees merged, everything else replaced; undefined skipped). */
export function overlay<T extends Record<string, unknown>>(base: T, over: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b) ? overlay(b as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out as T;
}

/** A CLI's option groups: each a tree of settings (their flags, never two alike). */
export type OptionTrees = readonly SettingsTree[];

function flagsOf(trees: OptionTrees): Map<string, Setting<unknown>> {
  const m = new Map<string, Setting<unknown>>();
  for (const t of trees) {
    for (const [path, s] of walk(t)) {
      if (!s.flag) continue;
      if (m.has(s.flag)) throw new Error(`flag --${s.flag} is declared twice (${path})`);
      m.set(s.flag, s);
    }
  }
  return m;
}

/** Flags as given on a command line, by flag name (raw text; switches true), strictly checked. */
export function readFlags(argv: string[], trees: OptionTrees): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [flag, s] of flagsOf(trees)) options[flag] = { type: s.isSwitch ? 'boolean' : 'string' };
  return parseFlags(argv, options).values as Record<string, string | boolean | undefined>;
}

/** The values of a tree's settings whose flags were given (parsed), shaped like the tree. */
export function given<S extends SettingsTree>(tree: S, flags: Record<string, string | boolean | undefined>): Overrides<S> {
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(tree)) {
    if (isSetting(s)) {
      const raw = s.flag ? flags[s.flag] : undefined;
      if (raw !== undefined) out[k] = s.isSwitch ? raw === true : s.parse(raw as string);
    } else {
      const sub = given(s, flags);
      if (Object.keys(sub).length) out[k] = sub;
    }
  }
  return out as Overrides<S>;
}

/** A tree's values from the command line: what was given, defaults for the rest. */
export function valuesOf<S extends SettingsTree>(tree: S, flags: Record<string, string | boolean | undefined>): ValuesOf<S> {
  return overlay(defaultsOf(tree) as Record<string, unknown>, given(tree, flags) as Record<string, unknown>) as ValuesOf<S>;
}

/** Flag names of a tree that were given on the command line. */
export function givenFlags(tree: SettingsTree, flags: Record<string, string | boolean | undefined>): string[] {
  return walk(tree).flatMap(([, s]) => (s.flag && flags[s.flag] !== undefined ? [`--${s.flag}`] : []));
}

const WIDTH = 100;
const LEFT = 26;

function wrap(textIn: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of textIn.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** One option's --help entry: flag and placeholder, then what it is, what is allowed, the default. */
export function helpEntry(s: Setting<unknown>, def: unknown = s.default, shown?: string): string {
  const left = `  --${s.flag}${s.metavar ? ` ${s.metavar}` : ''}`;
  const dflt = s.isSwitch ? '' : ` (default: ${shown ?? s.show(def)})`;
  const body = s.isSwitch ? s.help : `${s.help}${s.flagAllowed ? `; ${s.flagAllowed}` : ''}${dflt}`;
  const lines = wrap(body, WIDTH - LEFT);
  const first = left.length < LEFT - 1 ? left.padEnd(LEFT) + lines[0] : `${left}\n${' '.repeat(LEFT)}${lines[0]}`;
  return [first, ...lines.slice(1).map((l) => ' '.repeat(LEFT) + l)].join('\n');
}

/**
 * The options part of a --help text, grouped under their headings in declaration order.
 * `defaults` shows another default for some flags (a CLI that overrides a setting's default).
 */
export function optionsHelp(trees: OptionTrees, opts: { defaults?: Record<string, { value: unknown } | { shown: string }>; skip?: string[] } = {}): string {
  const groups = new Map<string, string[]>();
  for (const t of trees) {
    for (const [, s] of walk(t)) {
      if (!s.flag || opts.skip?.includes(s.flag)) continue;
      const o = opts.defaults?.[s.flag];
      const entry = o === undefined ? helpEntry(s, s.default, s.shownDefault) : 'shown' in o ? helpEntry(s, undefined, o.shown) : helpEntry(s, o.value);
      if (!groups.has(s.group)) groups.set(s.group, []);
      groups.get(s.group)!.push(entry);
    }
  }
  return [...groups].map(([g, entries]) => `${g}:\n${entries.join('\n')}`).join('\n\n');
}

export const HELP_LINE = '  -h, --help'.padEnd(LEFT) + 'this text';

/** A setting's check as a zod schema (for files validated with zod, such as a sweep's settings). */
export function zodOf<T>(s: Setting<T>): z.ZodType<T> {
  return z.any().superRefine((v, ctx) => {
    const p = s.check(v);
    if (p) ctx.addIssue({ code: 'custom', message: p });
  }) as unknown as z.ZodType<T>;
}
