import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Ethernet, ETHERTYPE_IPV4 } from '../../../engine/wire/ethernet.ts';
import { Icmp } from '../../../engine/wire/icmp.ts';
import { IPPROTO_ICMP, IPPROTO_TCP, IPPROTO_UDP, Ipv4 } from '../../../engine/wire/ipv4.ts';
import { serialize, serialize3, type Layer } from '../../../engine/wire/layer.ts';
import { Tcp } from '../../../engine/wire/tcp.ts';
import { Udp } from '../../../engine/wire/udp.ts';

describe('layer serialize3', function () {
  it('builds the same bytes as serialize for Ethernet/IPv4/TCP|UDP|ICMP, padded or not', function () {
    fc.assert(
      fc.property(
        fc.record({
          kind: fc.constantFrom('tcp', 'udp', 'icmp'),
          pad: fc.boolean(),
          src: fc.integer({ min: 0, max: 0xffff_ffff }),
          dst: fc.integer({ min: 0, max: 0xffff_ffff }),
          sport: fc.integer({ min: 0, max: 0xffff }),
          dport: fc.integer({ min: 0, max: 0xffff }),
          seq: fc.integer({ min: 0, max: 0xffff_ffff }),
          mss: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
          payload: fc.uint8Array({ maxLength: 80 }),
        }),
        (r) => {
          const proto = r.kind === 'tcp' ? IPPROTO_TCP : r.kind === 'udp' ? IPPROTO_UDP : IPPROTO_ICMP;
          const eth = new Ethernet({ dst: 0x02_00_00_00_00_01, src: 0x02_00_00_00_00_02, etherType: ETHERTYPE_IPV4, pad: r.pad });
          const ip = new Ipv4({ src: r.src, dst: r.dst, protocol: proto, ttl: 64, id: r.sport, df: true });
          let upper: Layer;
          if (r.kind === 'tcp') {
            upper = new Tcp({ srcPort: r.sport, dstPort: r.dport, seq: r.seq, flags: 0x12, window: 1000, options: r.mss === undefined ? [] : [{ kind: 'mss', mss: r.mss }] });
          } else if (r.kind === 'udp') {
            upper = new Udp({ srcPort: r.sport, dstPort: r.dport });
          } else {
            upper = new Icmp({ type: 8, code: 0, rest: r.seq });
          }
          assert.deepEqual(serialize3(eth, ip, upper, r.payload), serialize([eth, ip, upper], r.payload));
        },
      ),
      { numRuns: 500 },
    );
  });
});
