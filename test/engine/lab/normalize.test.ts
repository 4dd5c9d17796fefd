import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadLab } from '../../../engine/lab/load.ts';
import { normalizeLab } from '../../../engine/lab/normalize.ts';
import { ipv4 } from '../../../engine/wire/addr.ts';

describe('lab/normalize', () => {
  it('expands short forms and fills defaults', () => {
    const file = 'labs/00-basics/03-http.yaml';
    const lab = loadLab(readFileSync(file, 'utf8'), file).lab!;
    const n = normalizeLab(lab);
    assert.equal(n.seed, 3);
    assert.equal(n.epochNs, 1_704_067_200_000_000_000n);
    assert.deepEqual(n.interfaces.get('r1'), [
      { name: 'eth0', address: { addr: ipv4('10.0.1.1'), prefix: 24 }, mtu: 1500, mac: null },
      { name: 'eth1', address: { addr: ipv4('10.0.2.1'), prefix: 24 }, mtu: 1500, mac: null },
    ]);
    assert.deepEqual(n.links[0], { name: 'access', a: 'client.eth0', b: 'r1.eth0', delay: 1_000_000, bandwidth: 100_000_000, loss: 0, mtu: null, queue: 1000 });
    assert.equal(n.captures.get('server-side')!.at, 'dc');
    assert.deepEqual(n.steps[0]!.solution, [
      { kind: 'console', id: null, device: 'client', commands: ['ip route'] },
      { kind: 'console', id: 'ping', device: 'client', commands: ['ping -c 1 10.0.2.80'] },
    ]);
    assert.deepEqual(n.steps[3]!.setup, [{ kind: 'fault', target: 'service', name: 'web.http', op: 'stop' }]);
  });

  it('reads sleep lines and config text', () => {
    const text = `id: t
title: T
topology:
  devices:
    a: { kind: host, interfaces: { eth0: 10.0.0.1/24 } }
config:
  a: |
    ip route
    ip neigh
steps:
  - id: s
    title: S
    instructions: I
    setup: ['sleep 1.5s', { wait: 250ms }]
`;
    const r = loadLab(text, 't.yaml');
    assert.deepEqual(r.problems, []);
    const n = normalizeLab(r.lab!);
    assert.deepEqual(n.steps[0]!.setup, [
      { kind: 'wait', duration: 1_500_000_000 },
      { kind: 'wait', duration: 250_000_000 },
    ]);
    assert.deepEqual(n.config.get('a'), ['ip route', 'ip neigh']);
  });
});
