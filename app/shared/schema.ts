/**
 * A small runtime schema for bridge arguments: each schema checks an unknown value and gives its
 * TypeScript type (`Infer<S>`), so one definition is both the type and the check.
 *
 * Pure: no Node, no DOM, no engine. Used by the preload, the web client, the Electron main process,
 * the web server and the engine host (Electron security checklist #17: validate the sender's input).
 *
 * Error contract: `check` never throws; it returns null when the value is fine, else a message that
 * names what was expected and what was found.
 */

export interface Schema<T> {
  /** Null when `v` is a valid T, else why not. `path` names the value in the message. */
  check(v: unknown, path: string): string | null;
  /** What the schema accepts, for messages and docs. */
  readonly describe: string;
  /** Phantom: the value type. Never set. */
  readonly _t?: T;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

function found(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return `${v.length} bytes`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'an object' : typeof v;
}

export function str(opts: { min?: number; max?: number; pattern?: RegExp } = {}): Schema<string> {
  const max = opts.max ?? 10_000;
  const min = opts.min ?? 0;
  const describe = opts.pattern ? `a string matching ${String(opts.pattern)}` : `a string of ${min}..${max} characters`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'string') return `${path}: expected ${describe}, found ${found(v)}`;
      if (v.length < min || v.length > max) return `${path}: expected ${describe}, found ${v.length} characters`;
      if (opts.pattern && !opts.pattern.test(v)) return `${path}: expected ${describe}, found ${found(v)}`;
      return null;
    },
  };
}

export function int(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? Number.MIN_SAFE_INTEGER;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const describe = `an integer in ${min}..${max}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return `${path}: expected ${describe}, found ${found(v)}`;
      return null;
    },
  };
}

export function num(opts: { min?: number; max?: number } = {}): Schema<number> {
  const min = opts.min ?? -Number.MAX_VALUE;
  const max = opts.max ?? Number.MAX_VALUE;
  const describe = `a finite number in ${min}..${max}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) return `${path}: expected ${describe}, found ${found(v)}`;
      return null;
    },
  };
}

export function bool(): Schema<boolean> {
  return {
    describe: 'true or false',
    check(v, path) {
      return typeof v === 'boolean' ? null : `${path}: expected true or false, found ${found(v)}`;
    },
  };
}

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  const describe = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
  return {
    describe,
    check(v, path) {
      return typeof v === 'string' && values.includes(v) ? null : `${path}: expected ${describe}, found ${found(v)}`;
    },
  };
}

export function bytes(opts: { max?: number } = {}): Schema<Uint8Array> {
  const max = opts.max ?? 1 << 30;
  const describe = `bytes (a Uint8Array of at most ${max} bytes)`;
  return {
    describe,
    check(v, path) {
      if (!(v instanceof Uint8Array)) return `${path}: expected ${describe}, found ${found(v)}`;
      return v.length > max ? `${path}: expected ${describe}, found ${v.length} bytes` : null;
    },
  };
}

/** An optional value: `undefined` (or a missing trailing argument) is accepted. */
export function opt<T>(s: Schema<T>): Schema<T | undefined> {
  return {
    describe: `${s.describe} (optional)`,
    check(v, path) {
      return v === undefined ? null : s.check(v, path);
    },
  };
}

export function nullable<T>(s: Schema<T>): Schema<T | null> {
  return {
    describe: `${s.describe} or null`,
    check(v, path) {
      return v === null ? null : s.check(v, path);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
export type InferShape<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

/** A plain object with exactly these keys (unknown keys are refused). */
export function obj<S extends Shape>(shape: S): Schema<InferShape<S>> {
  const keys = Object.keys(shape);
  const describe = `an object with ${keys.join(', ') || 'no keys'}`;
  return {
    describe,
    check(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) return `${path}: expected ${describe}, found ${found(v)}`;
      const proto = Object.getPrototypeOf(v) as unknown;
      if (proto !== Object.prototype && proto !== null) return `${path}: expected a plain object`;
      for (const k of Object.keys(v)) if (!Object.hasOwn(shape, k)) return `${path}: unknown key ${JSON.stringify(k)} (allowed: ${keys.join(', ')})`;
      for (const k of keys) {
        const e = shape[k]!.check((v as Record<string, unknown>)[k], `${path}.${k}`);
        if (e !== null) return e;
      }
      return null;
    },
  };
}

export function arr<T>(s: Schema<T>, opts: { max?: number } = {}): Schema<T[]> {
  const max = opts.max ?? 10_000;
  return {
    describe: `a list of ${s.describe}`,
    check(v, path) {
      if (!Array.isArray(v)) return `${path}: expected a list, found ${found(v)}`;
      if (v.length > max) return `${path}: expected at most ${max} items, found ${v.length}`;
      for (let i = 0; i < v.length; i++) {
        const e = s.check(v[i], `${path}[${i}]`);
        if (e !== null) return e;
      }
      return null;
    },
  };
}

/** A named positional argument. */
export interface Arg<T> {
  readonly name: string;
  readonly schema: Schema<T>;
}

export function arg<T>(name: string, schema: Schema<T>): Arg<T> {
  return { name, schema };
}

export type InferArgs<A extends readonly Arg<unknown>[]> = { -readonly [K in keyof A]: A[K] extends Arg<infer T> ? T : never };

/**
 * Checks positional arguments: not more than declared, each valid (missing ones count as undefined,
 * which only optional schemas accept). Null when fine, else the message.
 */
export function checkArgs(method: string, args: readonly Arg<unknown>[], values: unknown): string | null {
  if (!Array.isArray(values)) return `${method}: arguments must be a list`;
  if (values.length > args.length) return `${method}: takes ${args.length} argument${args.length === 1 ? '' : 's'}, got ${values.length}`;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const e = a.schema.check(values[i], a.name);
    if (e !== null) return `${method}: argument ${i + 1} ${e}`;
  }
  return null;
}
