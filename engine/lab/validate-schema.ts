/**
 * Validates a plain value against the JSON Schema subset engine/lab/schema.ts uses, with messages for
 * people: the expected and the found value, the allowed values of an enum, "did you mean" for a
 * misspelt key. Unions report the errors of the one branch the author evidently meant (by `kind`, by
 * the tag key present, by type) instead of every branch's. Never throws.
 */
import { checkFormat, type FormatContext } from './formats.ts';

export type Path = ReadonlyArray<string | number>;

/** Where a problem points: the key of the property at `path`, its value, or (missing property) the mapping at `path`. */
export type Anchor = 'key' | 'value' | 'mapping';

export interface Issue {
  readonly path: Path;
  readonly anchor: Anchor;
  readonly message: string;
}

type Schema = Record<string, unknown>;

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Edit distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The candidate closest to `word`, when it is a plausible misspelling of it. */
export function didYouMean(word: string, candidates: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = c.toLowerCase() === w ? 0 : editDistance(w, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  // One-letter and two-letter words are too short for a guess to mean anything.
  const limit = word.length <= 2 ? 0 : word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3;
  return best !== null && bestD <= limit ? best : null;
}

export function suggest(word: string, candidates: Iterable<string>): string {
  const m = didYouMean(word, candidates);
  return m === null ? '' : ` (did you mean '${m}'?)`;
}

/** "the string "x"", "the number 5", "a list", ... */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
};

function branches(s: Schema): Schema[] {
  return Array.isArray(s.anyOf) ? (s.anyOf as Schema[]) : [s];
}

/** What a schema expects, in words ("a string or a mapping"). */
export function expectedName(s: Schema): string {
  if (Array.isArray(s.anyOf)) {
    const names = [...new Set((s.anyOf as Schema[]).map(expectedName))];
    return names.length <= 2 ? names.join(' or ') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  }
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.enum)) return `one of ${(s.enum as unknown[]).join(', ')}`;
  const name = TYPE_NAMES[String(s.type)] ?? 'a value';
  if (s.type === 'integer' || s.type === 'number') {
    const min = typeof s.minimum === 'number' ? s.minimum : null;
    const max = typeof s.maximum === 'number' ? s.maximum : null;
    if (min !== null && max !== null) return `${name} from ${min} to ${max}`;
    if (min !== null && min > 0) return `${name} of at least ${min}`;
  }
  return name;
}

function typeMatches(s: Schema, v: unknown): boolean {
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).some((b) => typeMatches(b, v));
  if ('const' in s && s.type === undefined) return typeof v === typeof s.const;
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'array':
      return Array.isArray(v);
    case 'object':
      return isObj(v);
    default:
      return true;
  }
}

function recordValueSchema(s: Schema): Schema | null {
  const pp = s.patternProperties;
  if (!isObj(pp)) return null;
  const first = Object.values(pp)[0];
  return isObj(first) ? first : null;
}

function requiredOf(s: Schema): string[] {
  return Array.isArray(s.required) ? (s.required as string[]) : [];
}

function propsOf(s: Schema): Record<string, Schema> {
  return isObj(s.properties) ? (s.properties as Record<string, Schema>) : {};
}

export class SchemaValidator {
  readonly issues: Issue[] = [];
  /** Keys of a union's other branches, offered as "did you mean" for the mapping at that depth. */
  private alsoKnown: { depth: number; keys: string[] } | null = null;
  constructor(private readonly ctx: FormatContext = {}) {}

  private add(path: Path, anchor: Anchor, message: string): void {
    this.issues.push({ path, anchor, message });
  }

  /** Validates `v` at `path`; `name` is how the value is called in messages. */
  check(s: Schema, v: unknown, path: Path): void {
    if (Array.isArray(s.anyOf)) return this.union(s, v, path);
    const label = labelOf(path);
    if ('const' in s) {
      if (v !== s.const) this.add(path, 'value', `${label}expected ${JSON.stringify(s.const)}, found ${describeValue(v)}`);
      return;
    }
    if (!typeMatches(s, v)) {
      this.add(path, 'value', `${label}expected ${expectedName(s)}, found ${describeValue(v)}`);
      return;
    }
    switch (s.type) {
      case 'string':
        return this.string(s, v as string, path, label);
      case 'integer':
      case 'number':
        return this.number(s, v as number, path, label);
      case 'array':
        return this.array(s, v as unknown[], path, label);
      case 'object':
        return this.object(s, v as Record<string, unknown>, path, label);
    }
  }

  private string(s: Schema, v: string, path: Path, label: string): void {
    if (Array.isArray(s.enum)) {
      const allowed = s.enum as string[];
      if (!allowed.includes(v)) this.add(path, 'value', `${label}expected one of ${allowed.join(', ')}; found ${JSON.stringify(v)}${suggest(v, allowed)}`);
      return;
    }
    const fmt = s['x-format'];
    if (typeof fmt === 'string') {
      const err = checkFormat(fmt, v, this.ctx);
      if (err !== null) this.add(path, 'value', `${label}${err}`);
      return;
    }
    if (typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v)) {
      this.add(path, 'value', `${label}${JSON.stringify(v)} is not valid here: expected ${patternHint(s)}`);
    }
  }

  private number(s: Schema, v: number, path: Path, label: string): void {
    const min = typeof s.minimum === 'number' ? s.minimum : null;
    const max = typeof s.maximum === 'number' ? s.maximum : null;
    if ((min !== null && v < min) || (max !== null && v > max)) {
      const range = min !== null && max !== null ? `from ${min} to ${max}` : min !== null ? `at least ${min}` : `at most ${max}`;
      this.add(path, 'value', `${label}expected ${s.type === 'integer' ? 'an integer' : 'a number'} ${range}, found ${v}`);
    }
  }

  private array(s: Schema, v: unknown[], path: Path, label: string): void {
    if (typeof s.minItems === 'number' && v.length < s.minItems) {
      this.add(path, 'value', `${label}expected at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}, found ${v.length}`);
    }
    if (isObj(s.items)) v.forEach((item, i) => this.check(s.items as Schema, item, [...path, i]));
  }

  private object(s: Schema, v: Record<string, unknown>, path: Path, label: string): void {
    const props = propsOf(s);
    const valueSchema = recordValueSchema(s);
    const keyInfo = isObj(s['x-keys']) ? (s['x-keys'] as { pattern: string; what: string }) : null;
    for (const r of requiredOf(s)) {
      if (!(r in v)) this.add(path, 'mapping', `${label}missing required property '${r}'${requiredHint(props[r])}`);
    }
    if (typeof s.minProperties === 'number' && Object.keys(v).length < s.minProperties) {
      this.add(path, 'value', `${label}expected at least ${s.minProperties} ${keyInfo?.what ?? 'entr'}${s.minProperties === 1 ? (keyInfo ? '' : 'y') : keyInfo ? 's' : 'ies'}, found none`);
    }
    for (const [k, val] of Object.entries(v)) {
      const p = props[k];
      if (p) {
        this.check(p, val, [...path, k]);
      } else if (valueSchema) {
        if (keyInfo && keyInfo.pattern && !new RegExp(keyInfo.pattern, 'u').test(k)) {
          this.add([...path, k], 'key', `invalid ${keyInfo.what} ${JSON.stringify(k)}: ${keyHint(keyInfo)}`);
        } else {
          this.check(valueSchema, val, [...path, k]);
        }
      } else if (s.additionalProperties === false) {
        const known = Object.keys(props);
        const more = this.alsoKnown && this.alsoKnown.depth === path.length ? this.alsoKnown.keys : [];
        this.add([...path, k], 'key', `unknown property '${k}'${where(path)}${suggest(k, [...known, ...more]) || `; expected one of ${known.join(', ')}`}`);
      }
    }
  }

  /** Reports the problems of the branch the author meant. */
  private union(s: Schema, v: unknown, path: Path): void {
    const all = branches(s);
    const typed = all.filter((b) => typeMatches(b, v));
    if (typed.length === 0) {
      this.add(path, 'value', `${labelOf(path)}expected ${expectedName(s)}, found ${describeValue(v)}`);
      return;
    }
    if (typed.length === 1) return this.check(typed[0]!, v, path);
    const otherKeys = [...new Set(typed.flatMap((b) => Object.keys(propsOf(b))))];
    const trial = typed.map((b) => {
      const sub = new SchemaValidator(this.ctx);
      sub.alsoKnown = { depth: path.length, keys: otherKeys };
      sub.check(b, v, path);
      return sub.issues;
    });
    if (trial.some((t) => t.length === 0)) return;
    if (isObj(v) && typed.every((b) => b.type === 'object')) {
      const chosen = this.chooseObjectBranch(typed, v, path);
      if (chosen === null) return;
      this.issues.push(...trial[typed.indexOf(chosen)]!);
      return;
    }
    let best = 0;
    for (let i = 1; i < trial.length; i++) if (trial[i]!.length < trial[best]!.length) best = i;
    this.issues.push(...trial[best]!);
  }

  /** The branch a mapping is meant to be (by a `kind`-like constant or a tag key); null when reported here. */
  private chooseObjectBranch(typed: Schema[], v: Record<string, unknown>, path: Path): Schema | null {
    const label = labelOf(path);
    // A discriminator: a property that is a constant in every branch.
    const first = propsOf(typed[0]!);
    for (const key of Object.keys(first)) {
      if (!typed.every((b) => isObj(propsOf(b)[key]) && 'const' in propsOf(b)[key]!)) continue;
      const values = typed.map((b) => propsOf(b)[key]!.const);
      if (!(key in v)) {
        this.add(path, 'mapping', `${label}missing required property '${key}' (one of ${values.join(', ')})`);
        return null;
      }
      const i = values.indexOf(v[key]);
      if (i < 0) {
        const found = v[key];
        this.add([...path, key], 'value', `${labelOf([...path, key])}expected one of ${values.join(', ')}; found ${typeof found === 'string' ? JSON.stringify(found) : describeValue(found)}${typeof found === 'string' ? suggest(found, values.map(String)) : ''}`);
        return null;
      }
      return typed[i]!;
    }
    // Tag keys: required keys that tell the branches apart.
    const common = requiredOf(typed[0]!).filter((r) => typed.every((b) => requiredOf(b).includes(r)));
    const tags = typed.map((b) => requiredOf(b).filter((r) => !common.includes(r)));
    const present = typed.filter((_, i) => tags[i]!.some((t) => t in v));
    if (present.length === 1) return present[0]!;
    const tagNames = [...new Set(tags.flat())];
    if (present.length === 0) {
      const near = Object.keys(v).map((k) => didYouMean(k, tagNames)).find((m) => m !== null);
      const unknownKey = Object.keys(v).find((k) => didYouMean(k, tagNames) === near && near !== null);
      if (near && unknownKey !== undefined) {
        this.add([...path, unknownKey], 'key', `unknown property '${unknownKey}'${where(path)} (did you mean '${near}'?)`);
      } else {
        this.add(path, 'mapping', `${label}expected one of ${tagNames.join(', ')}, found ${Object.keys(v).length ? `only ${Object.keys(v).join(', ')}` : 'an empty mapping'}`);
      }
      return null;
    }
    const given = tagNames.filter((t) => t in v);
    this.add([...path, given[1]!], 'key', `${label}only one of ${tagNames.join(', ')} may be given; found ${given.join(' and ')}`);
    return null;
  }
}

/** "steps[2].checks[0].state: " — the location in words, empty at the top. */
export function pathText(path: Path): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s;
}

function labelOf(path: Path): string {
  const last = path[path.length - 1];
  if (last === undefined) return '';
  return typeof last === 'number' ? `${pathText(path)}: ` : `${String(last)}: `;
}

function where(path: Path): string {
  return path.length === 0 ? ' at the top level' : ` in ${pathText(path)}`;
}

function requiredHint(s: Schema | undefined): string {
  if (!s) return '';
  if ('const' in s) return ` (${JSON.stringify(s.const)})`;
  if (typeof s.description === 'string') {
    const first = s.description.split(/(?<=\.)\s/)[0]!;
    return ` (${first.replace(/\.$/, '')})`;
  }
  return '';
}

function keyHint(k: { pattern: string; what: string }): string {
  if (k.pattern === '^[A-Za-z][A-Za-z0-9_-]*$') return 'start with a letter, then letters, digits, - or _';
  if (k.pattern === '^/') return 'a path starts with /';
  return `expected a name matching ${k.pattern}`;
}

function patternHint(s: Schema): string {
  if (Array.isArray(s.examples) && s.examples.length) return `something like ${s.examples.map(String).join(', ')}`;
  if (typeof s.description === 'string') return s.description.replace(/\.$/, '');
  return `a string matching ${String(s.pattern)}`;
}

/** Validates `value` against a schema; never throws. */
export function validateAgainst(schema: unknown, value: unknown, ctx: FormatContext = {}): Issue[] {
  const v = new SchemaValidator(ctx);
  try {
    v.check(schema as Schema, value, []);
  } catch (e) {
    v.issues.push({ path: [], anchor: 'value', message: `internal validator error: ${(e as Error).message}` });
  }
  return v.issues;
}
