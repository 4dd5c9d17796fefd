/**
 * Loads a lab file: YAML → value → schema validation → semantic checks, reporting every problem at
 * once as `file:line:col: message` with positions from the YAML source.
 *
 * YAML syntax errors are reported alone: when the document does not parse, the structure the later
 * stages would see is a guess, and their messages would point at the wrong things.
 *
 * Error contract: `loadLab` never throws; it returns either a lab (no problems) or the problems.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { hostTable, checkSemantics } from './semantics.ts';
import { Lab } from './schema.ts';
import { pathText, validateAgainst, type Anchor, type Issue, type Path } from './validate-schema.ts';

export interface LabProblem {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in characters. */
  readonly col: number;
  readonly message: string;
  /** Where in the lab the problem is, e.g. `topology.devices.client.gateway` (empty for YAML syntax). */
  readonly path: string;
}

export interface LoadResult {
  /** The lab as written (short forms not expanded), when there is no problem; otherwise null. */
  readonly lab: Lab | null;
  /** Sorted by position; empty exactly when `lab` is set. */
  readonly problems: LabProblem[];
}

export function formatProblem(p: LabProblem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

const DOMAIN_NAMES: Record<string, string> = {
  devices: 'device name',
  interfaces: 'interface name',
  segments: 'segment name',
  links: 'link name',
  captures: 'capture point name',
  config: 'device in config',
  pages: 'page path',
  zones: 'zone',
};

type YNode = Node | null | undefined;

function keyText(k: unknown): string {
  if (isScalar(k)) return String(k.value);
  return String(k);
}

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
  ) {}

  pos(offset: number): { line: number; col: number } {
    const p = this.lc.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** The node at `path` and the key node of the pair holding it (null for list items and the root). */
  find(path: Path): { node: YNode; key: YNode } {
    let node: YNode = this.doc.contents as YNode;
    let key: YNode = null;
    for (const p of path) {
      if (isAlias(node)) node = node.resolve(this.doc) as YNode;
      if (isMap(node)) {
        let hit: unknown = undefined;
        for (const item of node.items) if (isPair(item) && keyText(item.key) === String(p)) hit = item;
        if (!isPair(hit)) break;
        key = hit.key as YNode;
        node = hit.value as YNode;
      } else if (isSeq(node) && typeof p === 'number' && node.items[p] !== undefined) {
        node = node.items[p] as YNode;
        key = null;
      } else {
        break;
      }
    }
    return { node, key };
  }

  offset(path: Path, anchor: Anchor): number {
    const { node, key } = this.find(path);
    const start = (n: YNode): number | null => (n && Array.isArray(n.range) ? n.range[0] : null);
    const empty = isScalar(node) && node.value === null && (node.source === undefined || node.source === '' || node.range?.[0] === node.range?.[1]);
    if (anchor === 'key' || anchor === 'mapping' || empty || !node) return start(key) ?? start(node) ?? 0;
    return start(node) ?? start(key) ?? 0;
  }
}

/** Duplicate keys in any mapping (the YAML parser is told to keep them, so they are reported in context). */
function duplicateKeys(doc: Document, add: (offset: number, message: string) => void, lc: LineCounter): void {
  const walk = (node: unknown, parentKey: string | null): void => {
    if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const item of node.items) {
        if (!isPair(item)) continue;
        const k = keyText(item.key);
        const at = isScalar(item.key) && item.key.range ? item.key.range[0] : 0;
        const first = seen.get(k);
        if (first !== undefined) {
          const what = (parentKey !== null && DOMAIN_NAMES[parentKey]) || 'key';
          add(at, `duplicate ${what} '${k}' (first at line ${lc.linePos(first).line})`);
        } else {
          seen.set(k, at);
        }
        walk(item.value, k);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) walk(item, null);
    }
  };
  walk(doc.contents, null);
}

export function loadLab(text: string, file: string): LoadResult {
  const problems: LabProblem[] = [];
  const lc = new LineCounter();
  const at = (offset: number, message: string, path = ''): void => {
    const p = lc.linePos(offset);
    problems.push({ file, line: p.line, col: p.col, message, path });
  };
  try {
    if (typeof text !== 'string') {
      at(0, 'expected the text of a lab file');
      return finish(problems, null);
    }
    const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, prettyErrors: false, strict: true });
    if (doc.errors.length) {
      for (const e of doc.errors) {
        const { offset, message } = syntaxPosition(text, e.pos[0], yamlMessage(e.message));
        at(offset, `YAML syntax: ${message}`);
      }
      return finish(problems, null);
    }
    duplicateKeys(doc, (o, m) => at(o, m), lc);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      at(0, `YAML: ${(e as Error).message}`);
      return finish(problems, null);
    }
    const loc = new Locator(doc, lc);
    const hosts = hostTable(value);
    const issues: Issue[] = [
      ...validateAgainst(Lab, value, { resolveHost: (name) => hosts.get(name) ?? null }),
      ...checkSemantics(value),
    ];
    for (const i of issues) at(loc.offset(i.path, i.anchor), i.message, pathText(i.path));
    return finish(problems, value as Lab);
  } catch (e) {
    // Defensive: a bug here must surface as a problem, not as a crash of `pktlab validate`.
    at(0, `internal error while loading the lab: ${(e as Error).message}`);
    return finish(problems, null);
  }
}

function yamlMessage(m: string): string {
  // The parser's messages end with "at line L, column C"; the position is already in front.
  return m.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
}

/**
 * The parser notices some mistakes a little after where they are: an unclosed `[`/`{` at the next
 * line, bad indentation at the start of the line. Point at the mistake itself.
 */
function syntaxPosition(text: string, pos: number, message: string): { offset: number; message: string } {
  const flow = /^Flow (sequence|map) in block collection must be sufficiently indented and end with a ([\]}])$/.exec(message);
  if (flow) {
    const open = flow[2] === ']' ? '[' : '{';
    const opener = unclosedOpener(text, pos, open);
    if (opener !== null) {
      return { offset: opener, message: `'${open}' is not closed: a flow ${flow[1]} must end with '${flow[2]}' (or go on in lines indented more than its key)` };
    }
  }
  let p = pos;
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  if (p === lineStart) while (p < text.length && text[p] === ' ') p++;
  return { offset: p < text.length && text[p] !== '\n' ? p : pos, message };
}

/** Offset of the last `[` or `{` before `end` that is not closed (quotes and comments skipped). */
function unclosedOpener(text: string, end: number, open: string): number | null {
  const stack: Array<[string, number]> = [];
  let quote: string | null = null;
  for (let i = 0; i < end && i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\n' && quote === '"') continue;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < end && text[i] !== '\n') i++;
    } else if (c === '"' || (c === "'" && (i === 0 || /[\s[{,:]/.test(text[i - 1]!)))) {
      quote = c;
    } else if (c === '[' || c === '{') {
      stack.push([c, i]);
    } else if (c === ']' || c === '}') {
      stack.pop();
    }
  }
  for (let k = stack.length - 1; k >= 0; k--) if (stack[k]![0] === open) return stack[k]![1];
  return null;
}

function finish(problems: LabProblem[], lab: Lab | null): LoadResult {
  problems.sort((a, b) => a.line - b.line || a.col - b.col || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  const unique = problems.filter((p, i) => i === 0 || formatProblem(p) !== formatProblem(problems[i - 1]!));
  return { lab: unique.length === 0 ? lab : null, problems: unique };
}
