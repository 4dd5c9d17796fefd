import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { formatProblem, loadLab, type LoadResult } from '../../../engine/lab/load.ts';

const FIXTURES = 'test/engine/lab/fixtures';

function labFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...labFiles(p));
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

function lines(text: string, file = 'lab.yaml'): string[] {
  return loadLab(text, file).problems.map(formatProblem);
}

/** A small valid lab; tests append or replace parts of it. */
const BASE = `id: t
title: T
topology:
  devices:
    a:
      kind: host
      interfaces:
        eth0: 10.0.0.1/24
    b:
      kind: host
      interfaces:
        eth0: 10.0.0.2/24
  segments:
    lan: [a.eth0, b.eth0]
  captures:
    cap: lan
steps:
  - id: s1
    title: S1
    instructions: Do it.
    solution:
      - a> ping -c 1 10.0.0.2
`;

function assertWellFormed(r: LoadResult, text: string): void {
  assert.equal(typeof r, 'object');
  assert.ok(Array.isArray(r.problems));
  assert.equal(r.lab === null, r.problems.length > 0, 'a lab exactly when there is no problem');
  const nLines = text.split('\n').length;
  for (const p of r.problems) {
    assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= nLines + 1, `line ${p.line} of ${nLines}`);
    assert.ok(Number.isInteger(p.col) && p.col >= 1, `col ${p.col}`);
    assert.equal(typeof p.message, 'string');
    assert.ok(p.message.length > 0);
  }
}

describe('lab/load', () => {
  describe('the labs in labs/', () => {
    const files = labFiles('labs');
    it('there are onboarding labs', () => {
      assert.ok(files.filter((f) => f.startsWith(join('labs', '00-basics'))).length >= 3, files.join(', '));
    });
    for (const file of files) {
      it(`${file} validates`, () => {
        const text = readFileSync(file, 'utf8');
        const r = loadLab(text, file);
        assert.deepEqual(r.problems.map(formatProblem), []);
        assert.ok(r.lab);
        assert.match(text, /^# yaml-language-server: \$schema=\.\.\/schema\.json\n/, 'the editor hint is on the first line');
      });
    }
    it('every lab has Korean and English text for its title, steps, checks and hints', () => {
      for (const file of files) {
        const lab = loadLab(readFileSync(file, 'utf8'), file).lab!;
        const both = (t: unknown, what: string): void => {
          assert.ok(typeof t === 'object' && t !== null && 'ko' in t && 'en' in t, `${file}: ${what} has ko and en`);
        };
        both(lab.title, 'title');
        both(lab.summary, 'summary');
        for (const s of lab.steps) {
          both(s.title, `${s.id} title`);
          both(s.instructions, `${s.id} instructions`);
          for (const c of s.checks ?? []) both(c.description, `${s.id}/${c.id} description`);
          for (const h of s.hints ?? []) both(h, `${s.id} hint`);
        }
      }
    });
  });

  it('the complete example of docs/authoring.md validates', () => {
    const doc = readFileSync('docs/authoring.md', 'utf8');
    const blocks = [...doc.matchAll(/```yaml\n(# yaml-language-server[^\n]*\n[\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /\nsteps:/.test(b));
    assert.ok(blocks.length >= 1, 'the walkthrough has a whole lab');
    for (const b of blocks) assert.deepEqual(lines(b, 'docs/authoring.md'), []);
  });

  it('reports each mistake of a broken lab once, at its position', () => {
    const file = `${FIXTURES}/broken.yaml`;
    assert.deepEqual(lines(readFileSync(file, 'utf8'), file), [
      `${file}:8:44: mtu: expected an integer from 68 to 65535, found the string "big"`,
      `${file}:9:16: gateway 10.0.1.254 is not on a subnet of client (its subnets: eth0 10.0.0.0/24)`,
      `${file}:11:13: kind: expected one of host, router, l4switch; found "hots" (did you mean 'host'?)`,
      `${file}:17:17: unknown property 'adress' in topology.devices.router.interfaces.eth0 (did you mean 'address'?)`,
      `${file}:19:37: unknown device 'web9'; devices are client, server, router`,
      `${file}:21:31: device 'client' has no interface 'eth1' (did you mean 'eth0'?)`,
      `${file}:21:51: delay: invalid duration "5 parsecs": expected a number followed by ns, us, ms, s, m or h (e.g. 250ms, 2s, 1m30s)`,
      `${file}:28:5: steps[1]: missing required property 'instructions' (What the student does, in Markdown)`,
      `${file}:28:9: duplicate step id 'one' (also step 1)`,
    ]);
  });

  it('reports a YAML syntax error at the mistake, and nothing else', () => {
    const file = `${FIXTURES}/broken-syntax.yaml`;
    assert.deepEqual(lines(readFileSync(file, 'utf8'), file), [
      `${file}:8:15: YAML syntax: '[' is not closed: a flow sequence must end with ']' (or go on in lines indented more than its key)`,
    ]);
    assert.deepEqual(lines('id: x\nsteps:\n\t- id: a\n'), ['lab.yaml:3:1: YAML syntax: Tabs are not allowed as indentation']);
    assert.deepEqual(lines('id: x\ntopology:\n  devices:\n    a:\n      kind: host\n     interfaces: 1\n'), [
      'lab.yaml:6:6: YAML syntax: All mapping items must start at the same column',
    ]);
  });

  describe('semantic checks', () => {
    it('accepts the base lab', () => {
      assert.deepEqual(lines(BASE), []);
      const lab = loadLab(BASE, 'lab.yaml').lab!;
      assert.equal(lab.id, 't');
      assert.deepEqual(lab.topology.segments, { lan: ['a.eth0', 'b.eth0'] });
    });

    it('duplicate names: device keys, interfaces, check ids, action ids', () => {
      const text = BASE.replace('    b:\n      kind: host', '    a:\n      kind: host')
        .replace('    lan: [a.eth0, b.eth0]', '    lan: [a.eth0]') + `    checks:
      - { id: c, console: { device: a, command: ip neigh, match: x } }
      - { id: c, console: { device: a, command: ip neigh, match: x } }
  - id: s2
    title: S2
    instructions: Again.
    solution:
      - console: { id: p, device: a, command: ping 10.0.0.2 }
      - console: { id: p, device: a, command: ping 10.0.0.2 }
`;
      assert.deepEqual(lines(text), [
        "lab.yaml:9:5: duplicate device name 'a' (first at line 5)",
        "lab.yaml:25:15: duplicate check id 'c' in step 's1'",
        "lab.yaml:31:24: duplicate action id 'p'",
      ]);
    });

    it('an interface on two segments/links, duplicate addresses on a segment, overlapping subnets', () => {
      const text = BASE.replace('        eth0: 10.0.0.2/24', '        eth0: 10.0.0.1/24\n        eth1: 10.0.0.9/16')
        .replace('    lan: [a.eth0, b.eth0]', '    lan: [a.eth0, b.eth0]\n  links:\n    l1: { a: a.eth0, b: b.eth1 }');
      assert.deepEqual(lines(text), [
        'lab.yaml:13:15: subnet 10.0.0.0/16 of b.eth1 overlaps 10.0.0.0/24 of b.eth0: a device\'s interfaces must be on different subnets',
        'lab.yaml:15:19: b.eth0 has address 10.0.0.1, which a.eth0 on segment \'lan\' also has',
        "lab.yaml:17:14: a.eth0 is already attached to segment 'lan'; an interface joins one segment or link",
      ]);
    });

    it('capture points: on nothing, on an unknown segment; capture checks name a capture point', () => {
      const text = BASE.replace('        eth0: 10.0.0.2/24', '        eth0: 10.0.0.2/24\n        eth1: 10.9.0.2/24')
        .replace('    cap: lan', '    cap: lan\n    idle: b.eth1\n    typo: lam') + `    checks:
      - id: c1
        capture: { at: capp, filter: tcp port 80 }
      - id: c2
        capture: { at: cap, filter: 'tcp port 99999' }
      - id: c3
        capture: { at: cap, filter: 'host b and icmp', match: 'echo (request' }
`;
      assert.deepEqual(lines(text), [
        "lab.yaml:18:11: capture point 'idle' is on b.eth1, which is attached to no segment or link, so it would capture nothing",
        "lab.yaml:19:11: capture point 'typo' is on 'lam', which is no segment or link (did you mean 'lan'?); an interface is written DEVICE.INTERFACE",
        "lab.yaml:28:24: unknown capture point 'capp' (did you mean 'cap'?)",
        'lab.yaml:30:37: filter: invalid capture filter "tcp port 99999": illegal port number 99999 > 65535 (at character 10)',
        'lab.yaml:32:63: match: invalid regular expression "echo (request": Unterminated group',
      ]);
    });

    it('routes, actions and checks refer to things that exist', () => {
      const text = BASE.replace('        eth0: 10.0.0.2/24', '        eth0: 10.0.0.2/24\n      routes:\n        - { to: 10.5.0.0/16, via: 10.1.0.1, dev: eth7 }') + `      - c> ip neigh
      - sleep 2 seconds
      - fault: { link: lan, op: stop }
      - fault: { service: b.dns, op: stop }
      - traffic: { id: t1, from: b, to: 10.0.0.1 }
    checks:
      - { id: k1, traffic: { action: t2 } }
      - { id: k2, console: { action: t1, match: x } }
      - { id: k3, state: { device: b, service: { name: http, status: running } } }
`;
      assert.deepEqual(lines(text), [
        'lab.yaml:14:35: next hop 10.1.0.1 is not on a subnet of b (its subnets: eth0 10.0.0.0/24)',
        "lab.yaml:14:50: b has no interface 'eth7' (did you mean 'eth0'?)",
        "lab.yaml:25:9: unknown device 'c'; devices are a, b",
        'lab.yaml:26:9: steps[0].solution[2]: invalid duration "2 seconds": expected a number followed by ns, us, ms, s, m or h (e.g. sleep 2s)',
        "lab.yaml:27:24: unknown link 'lan'; the lab has no links",
        "lab.yaml:27:33: op 'stop' does not apply to a link; expected down or up",
        "lab.yaml:28:27: device 'b' runs no dns service",
        "lab.yaml:29:9: missing 'port' for 'to'",
        "lab.yaml:31:38: no traffic action before this check has id 't2'",
        "lab.yaml:32:38: action 't1' is a traffic action; a console check looks at a console action",
        "lab.yaml:33:56: device 'b' runs no http service",
      ]);
    });

    it('schema messages: missing tag of a union, two tags, unknown property at the top, a network address', () => {
      const text = BASE.replace('id: t\n', 'id: t\nauthor: me\n').replace('        eth0: 10.0.0.1/24', '        eth0: 10.0.0.0/24') + `    checks:
      - id: k1
        description: nothing to check
      - id: k2
        state: { device: a, arp: { ip: 10.0.0.2 } }
        consol: { device: a, command: x, match: y }
      - id: k3
        state: { device: a, arp: { ip: 10.0.0.2 } }
        console: { device: a, command: x, match: y }
`;
      assert.deepEqual(lines(text), [
        "lab.yaml:2:1: unknown property 'author' at the top level; expected one of $schema, format, id, chapter, title, summary, seed, epoch, topology, config, steps",
        'lab.yaml:9:15: 10.0.0.0/24 is the network address of 10.0.0.0/24, not a host address',
        'lab.yaml:25:9: steps[0].checks[0]: expected one of state, capture, console, traffic, found only id, description',
        "lab.yaml:29:9: unknown property 'consol' in steps[0].checks[1] (did you mean 'console'?)",
        'lab.yaml:32:9: steps[0].checks[2]: only one of state, capture, console, traffic may be given; found state and console',
      ]);
    });

    it('an empty file and a file that is not a mapping', () => {
      assert.deepEqual(lines(''), ['lab.yaml:1:1: expected a mapping, found nothing']);
      assert.deepEqual(lines('- 1\n- 2\n'), ['lab.yaml:1:1: expected a mapping, found a list']);
      assert.deepEqual(lines('id: x\n'), [
        "lab.yaml:1:1: missing required property 'steps' (The steps, in order)",
        "lab.yaml:1:1: missing required property 'title' (The lab's title)",
        "lab.yaml:1:1: missing required property 'topology' (Devices and how they are wired)",
      ]);
    });
  });

  describe('never throws', () => {
    const base = readFileSync('labs/00-basics/03-http.yaml', 'utf8');
    const value = loadLab(base, 'x').lab as unknown;
    const runs = Number(process.env.PKTLAB_LAB_FUZZ_RUNS ?? 200);

    it('on random YAML-ish text', () => {
      const token = fc.constantFrom('id: x\n', 'steps:\n', '  - ', '- ', ': ', '{', '}', '[', ']', ',', '"', "'", '#', '&a ', '*a ', '!!str ', '|\n', '>\n', '\t', '  ', '\n', 'kind: host\n', 'topology:\n  devices:\n', 'eth0: 10.0.0.1/24\n', '%YAML 1.2\n---\n', '...\n', '<<: *a\n');
      fc.assert(
        fc.property(fc.array(fc.oneof(token, fc.string({ maxLength: 8 })), { maxLength: 40 }), (parts) => {
          const text = parts.join('');
          assertWellFormed(loadLab(text, 'f.yaml'), text);
        }),
        { numRuns: runs },
      );
    });

    it('on text mutations of a valid lab', () => {
      fc.assert(
        fc.property(fc.nat(base.length), fc.nat(40), fc.string({ maxLength: 6 }), (at, del, ins) => {
          const text = base.slice(0, at) + ins + base.slice(at + del);
          assertWellFormed(loadLab(text, 'f.yaml'), text);
        }),
        { numRuns: runs },
      );
    });

    it('on value mutations of a valid lab', () => {
      const paths: Array<Array<string | number>> = [];
      const walk = (v: unknown, p: Array<string | number>): void => {
        paths.push(p);
        if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...p, i]));
        else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...p, k]);
      };
      walk(value, []);
      const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('10.0.0.1/33', 'a.b', 'x>', 'sleep', '1Tbit', '-1', 'host', null, [], {}));
      fc.assert(
        fc.property(fc.constantFrom(...paths), junk, fc.boolean(), (path, replacement, remove) => {
          const copy = structuredClone(value) as Record<string | number, unknown>;
          if (path.length === 0) return;
          let parent: Record<string | number, unknown> = copy;
          for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
          const last = path[path.length - 1]!;
          if (remove && !Array.isArray(parent)) delete parent[last];
          else parent[last] = replacement;
          const text = stringify(copy);
          assertWellFormed(loadLab(text, 'f.yaml'), text);
        }),
        { numRuns: runs },
      );
    });
  });
});
