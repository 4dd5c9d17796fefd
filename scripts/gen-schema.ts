/**
 * Writes the two artefacts generated from the lab format's one definition (engine/lab/schema.ts):
 * - labs/schema.json, the JSON Schema editors use to complete and check lab files;
 * - the field reference in docs/authoring.md, between the BEGIN/END markers.
 * A test (test/engine/lab/schema.test.ts) fails when either is stale.
 *
 * Usage: tsx scripts/gen-schema.ts [--check]   (npm run gen)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { labJsonSchema } from '../engine/lab/schema.ts';

export const BEGIN = '<!-- BEGIN GENERATED REFERENCE: npm run gen -->';
export const END = '<!-- END GENERATED REFERENCE -->';

type Schema = Record<string, unknown>;
const isObj = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Value syntaxes named by `x-format`, explained once in the reference. */
const FORMATS: Record<string, string> = {
  ipv4: 'IPv4 address in dotted-quad form: `10.0.0.1`.',
  cidr: 'IPv4 address and prefix length: `10.0.0.1/24`.',
  'route-dest': 'A network `10.1.0.0/16` or the word `default`.',
  mac: 'MAC address: `02:00:00:00:00:01` (colons or dashes).',
  duration: 'A number and a unit (`ns`, `us`, `ms`, `s`, `m`, `h`), parts may be combined: `250ms`, `2s`, `1.5s`, `1m30s`.',
  bandwidth: 'A rate as tc writes it: a number and `bit`, `kbit`, `Mbit` or `Gbit`: `100Mbit`.',
  percent: 'A percentage: `1%`, `0.5%`.',
  'date-time': 'ISO 8601 time with a zone: `2024-01-01T00:00:00Z`.',
  regex: 'A JavaScript regular expression, without slashes; quote it in YAML (`\'Flags \\[S\\]\'`).',
  'pcap-filter': 'A tcpdump capture filter: `tcp port 80 and host 10.0.0.2`; device names work as host names.',
  action: '`DEVICE> COMMAND` (a console command) or `sleep DURATION` (a wait), as in `pktlab exec` scripts.',
  url: 'An `http://` URL: `http://10.0.2.80/slow`.',
  name: 'A name: a letter, then letters, digits, `-` or `_`.',
  id: 'An id: letters, digits, `.`, `-` or `_`.',
  'iface-ref': 'An interface as `DEVICE.INTERFACE`: `client.eth0`.',
};

function anchor(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, '-');
}

class Reference {
  private readonly queue: Schema[] = [];
  private readonly seen = new Set<string>();
  private readonly formats = new Set<string>();

  private enqueue(s: Schema): void {
    const t = s.title as string;
    if (!this.seen.has(t)) {
      this.seen.add(t);
      this.queue.push(s);
    }
  }

  /** The type of a schema in words, with links to sections. */
  type(s: Schema): string {
    if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map((b) => this.type(b)).join(' or ');
    if ('const' in s) return `\`${JSON.stringify(s.const)}\``;
    if (Array.isArray(s.enum)) return `one of ${(s.enum as string[]).map((e) => `\`${e}\``).join(', ')}`;
    const fmt = s['x-format'];
    switch (s.type) {
      case 'string':
        if (typeof fmt === 'string' && FORMATS[fmt]) {
          this.formats.add(fmt);
          return `[${fmt}](#format-${anchor(fmt)})`;
        }
        return 'string';
      case 'integer':
      case 'number': {
        const min = typeof s.minimum === 'number' ? s.minimum : null;
        const max = typeof s.maximum === 'number' ? s.maximum : null;
        const range = min !== null && max !== null ? ` ${min}–${max}` : min !== null ? ` ≥ ${min}` : '';
        return `${s.type}${range}`;
      }
      case 'boolean':
        return 'boolean';
      case 'array':
        return `list of ${this.type(s.items as Schema)}`;
      case 'object': {
        if (isObj(s.patternProperties)) {
          const keys = isObj(s['x-keys']) ? (s['x-keys'].what as string) : 'key';
          return `map of ${keys} → ${this.type(Object.values(s.patternProperties)[0] as Schema)}`;
        }
        if (typeof s.title === 'string') {
          this.enqueue(s);
          return `[${s.title}](#${anchor(s.title)})`;
        }
        return 'mapping';
      }
    }
    return 'any';
  }

  private section(s: Schema): string {
    const title = s.title as string;
    const lines = [`### ${title}`, '', String(s.description ?? ''), ''];
    const props = isObj(s.properties) ? (s.properties as Record<string, Schema>) : {};
    const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
    if (Object.keys(props).length) {
      lines.push('| field | type | | description |', '|---|---|---|---|');
      for (const [name, p] of Object.entries(props)) {
        const req = required.has(name) ? 'required' : 'default' in p ? `default \`${JSON.stringify(p.default)}\`` : 'optional';
        const desc = String(p.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');
        lines.push(`| \`${name}\` | ${this.type(p).replace(/\|/g, '\\|')} | ${req} | ${desc} |`);
      }
      lines.push('');
    }
    return lines.join('\n');
  }

  render(root: Schema): string {
    this.enqueue(root);
    const out: string[] = [
      BEGIN,
      '',
      '<!-- Generated from engine/lab/schema.ts by scripts/gen-schema.ts; edit those, not this section. -->',
      '',
    ];
    for (let i = 0; i < this.queue.length; i++) out.push(this.section(this.queue[i]!));
    out.push('### Value formats', '');
    for (const f of Object.keys(FORMATS)) {
      if (this.formats.has(f)) out.push(`- <a id="format-${anchor(f)}"></a>**${f}**: ${FORMATS[f]}`);
    }
    out.push('', END);
    return out.join('\n');
  }
}

/** labs/schema.json's text. */
export function schemaJsonText(): string {
  return `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
}

/** The reference section (markers included). */
export function referenceText(): string {
  return new Reference().render(labJsonSchema());
}

/** `doc` with its generated section replaced; throws when the markers are missing. */
export function withReference(doc: string): string {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/authoring.md lacks the markers ${BEGIN} … ${END}`);
  return doc.slice(0, a) + referenceText() + doc.slice(b + END.length);
}

export const SCHEMA_FILE = 'labs/schema.json';
export const DOC_FILE = 'docs/authoring.md';

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const root = resolve(new URL('..', import.meta.url).pathname);
  const check = process.argv.includes('--check');
  const schemaPath = join(root, SCHEMA_FILE);
  const docPath = join(root, DOC_FILE);
  const doc = readFileSync(docPath, 'utf8');
  const wanted: Array<[string, string]> = [
    [schemaPath, schemaJsonText()],
    [docPath, withReference(doc)],
  ];
  let stale = 0;
  for (const [path, text] of wanted) {
    let current = '';
    try {
      current = readFileSync(path, 'utf8');
    } catch {
      // missing: written below
    }
    if (current === text) continue;
    if (check) {
      console.log(`${path}: out of date (run npm run gen)`);
      stale++;
    } else {
      writeFileSync(path, text);
      console.log(`wrote ${path}`);
    }
  }
  if (stale) process.exit(1);
}
