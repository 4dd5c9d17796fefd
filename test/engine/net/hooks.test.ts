import assert from 'node:assert/strict';
import { ipv4, ipv4ToString } from '../../../engine/wire/addr.ts';
import { rewriteDst } from '../../../engine/wire/ipv4.ts';
import { sec } from '../../../engine/sim/time.ts';
import type { HookContext, Verdict } from '../../../engine/net/hooks.ts';
import { echo, icmpLog, recordTrace, threeHopChain } from './util.ts';

describe('engine/net hooks', () => {
  it('runs hooks by priority, then insertion order, at the right points', () => {
    const { net, h1, r1 } = threeHopChain();
    const seen: string[] = [];
    const hook = (tag: string) => (ctx: HookContext): Verdict => {
      seen.push(`${tag}@${ctx.point}:${ctx.inIf?.name ?? '-'}>${ctx.outIf?.name ?? '-'} ttl${ctx.ip.ttl}`);
      return 'accept';
    };
    r1.hooks.add('forward', 10, hook('f10'));
    r1.hooks.add('forward', -5, hook('f-5'));
    r1.hooks.add('forward', 10, hook('f10b'));
    r1.hooks.add('prerouting', 0, hook('pre'));
    r1.hooks.add('postrouting', 0, hook('post'));
    r1.hooks.add('input', 0, hook('in'));
    r1.hooks.add('output', 0, hook('out'));
    echo(h1, '10.3.0.10', 1);
    net.runFor(sec(1));
    assert.deepEqual(seen.slice(0, 5), [
      'pre@prerouting:eth0>- ttl64',
      'f-5@forward:eth0>eth1 ttl64',
      'f10@forward:eth0>eth1 ttl64',
      'f10b@forward:eth0>eth1 ttl64',
      'post@postrouting:eth0>eth1 ttl63',
    ]);
    seen.length = 0;
    echo(h1, '10.1.0.1', 2);
    net.runFor(sec(1));
    assert.deepEqual(seen, ['pre@prerouting:eth0>- ttl64', 'in@input:eth0>- ttl64', 'out@output:->- ttl64', 'post@postrouting:->eth0 ttl64']);
    assert.deepEqual(r1.hooks.list('forward').map((h) => h.priority), [-5, 10, 10]);
  });

  it('drop counts per reason and stops the packet; stolen stops it silently; dispose removes', () => {
    const { net, h1, r1 } = threeHopChain();
    const log = icmpLog(h1);
    const d1 = r1.hooks.add('forward', 0, (ctx) => (ctx.ip.protocol === 1 ? ctx.drop('no-icmp') : 'accept'));
    echo(h1, '10.3.0.10', 1);
    net.runFor(sec(1));
    assert.equal(log.length, 0);
    assert.equal(r1.counters.drops.get('no-icmp'), 1);
    d1.dispose();
    const d2 = r1.hooks.add('prerouting', 0, () => 'drop');
    echo(h1, '10.3.0.10', 2);
    net.runFor(sec(1));
    assert.equal(r1.counters.drops.get('hook:prerouting'), 1);
    d2.dispose();
    let stolen = 0;
    const d3 = r1.hooks.add('postrouting', 0, () => (stolen++, 'stolen'));
    echo(h1, '10.3.0.10', 3);
    net.runFor(sec(1));
    assert.equal(stolen, 1);
    assert.equal(log.length, 0);
    d3.dispose();
    echo(h1, '10.3.0.10', 4);
    net.runFor(sec(1));
    assert.equal(log.length, 1);
  });

  it('notes become the comment of the transmitted frame', () => {
    const { net, h1, r1 } = threeHopChain();
    const t = recordTrace(net);
    r1.hooks.add('forward', 0, (ctx) => {
      ctx.note('virt 1 service icmp → real 2');
      ctx.note('second');
      return 'accept';
    });
    echo(h1, '10.3.0.10', 1);
    net.runFor(sec(1));
    const noted = t.filter((l) => l.includes('#'));
    assert.equal(noted.length, 2, 'request and reply both cross r1 forward');
    assert.ok(noted[0]!.startsWith('5000000 r1:eth1 out'), 'sent once ARP resolved the next hop (queued with its note)');
    assert.ok(noted[0]!.endsWith('# virt 1 service icmp → real 2; second'));
  });

  it('a destination rewritten at prerouting is routed again (DNAT without conntrack)', () => {
    const { net, h1, r1, h3 } = threeHopChain();
    const at3 = icmpLog(h3);
    // 10.1.0.100 would be local-subnet; send to an address routed nowhere and rewrite it to h3.
    h1.addRoute({ dst: '198.51.100.0/24', via: '10.1.0.1' });
    r1.hooks.add('prerouting', -150, (ctx) => {
      if (ctx.ip.dst === ipv4('198.51.100.7')) rewriteDst(ctx.ip, ipv4('10.3.0.10'));
      return 'accept';
    });
    echo(h1, '198.51.100.7', 1);
    net.runFor(sec(1));
    assert.equal(at3.length, 1);
    assert.equal(ipv4ToString(at3[0]!.dst), '10.3.0.10');
  });
});
