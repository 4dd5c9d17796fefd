/**
 * dissect(): columns and detail-tree fields agree with tshark 4.0 on one frame of every codec plus a
 * few more (HTTP response, FIN, RST, gratuitous ARP): Info/Protocol/Source/Destination equal
 * `tshark -2 -T fields -e _ws.col.*` (two passes, as the GUI, and with TCP reassembly off, which is
 * how pktlab dissects HTTP), and the main fields' values and byte ranges equal tshark's PDML
 * (`show`, `pos`, `size`). Malformed and random frames never throw.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { readCapture } from '../../../engine/capture/capture.ts';
import { dissect, type TreeNode } from '../../../engine/capture/dissect.ts';
import { PacketStore } from '../../../engine/capture/packet-store.ts';
import { PcapngWriter } from '../../../engine/capture/pcapng-writer.ts';
import { mac } from '../../../engine/wire/addr.ts';
import { Arp, ARP_REQUEST } from '../../../engine/wire/arp.ts';
import { Ethernet, ETHERTYPE_ARP } from '../../../engine/wire/ethernet.ts';
import { Ipv4, IPPROTO_TCP } from '../../../engine/wire/ipv4.ts';
import { serialize } from '../../../engine/wire/layer.ts';
import { Tcp, TcpFlag } from '../../../engine/wire/tcp.ts';
import { mutated } from '../../support/fuzz.ts';
import { requireTool } from '../../support/tools.ts';
import { CLIENT, everyCodecFrames, HTTP_PART1, HTTP_PART2, ISN_CLIENT, ISN_SERVER, MAC_CLIENT, MAC_ROUTER, VIP } from './frames.ts';
import { writeArtifact } from './helpers.ts';

const te = new TextEncoder();

/** Frames after every-codec's: the server's HTTP response, FIN/ACK both ways, an RST, gratuitous ARP. */
export function extraFrames(): Uint8Array[] {
  const c2s = (id: number): [Ethernet, Ipv4] => [new Ethernet({ dst: MAC_ROUTER, src: MAC_CLIENT }), new Ipv4({ src: CLIENT, dst: VIP, protocol: IPPROTO_TCP, id, df: true })];
  const s2c = (id: number): [Ethernet, Ipv4] => [new Ethernet({ dst: MAC_CLIENT, src: MAC_ROUTER }), new Ipv4({ src: VIP, dst: CLIENT, protocol: IPPROTO_TCP, id, ttl: 60, df: true })];
  const cSeq = ISN_CLIENT + 1 + HTTP_PART1.length + HTTP_PART2.length;
  const body = te.encode('HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 5\r\n\r\nhello');
  return [
    serialize([...s2c(20), new Tcp({ srcPort: 80, dstPort: 49152, seq: ISN_SERVER + 1, ack: cSeq, flags: TcpFlag.ACK | TcpFlag.PSH, window: 509 })], body),
    serialize([...c2s(21), new Tcp({ srcPort: 49152, dstPort: 80, seq: cSeq, ack: ISN_SERVER + 1 + body.length, flags: TcpFlag.ACK | TcpFlag.FIN, window: 501 })]),
    serialize([...s2c(22), new Tcp({ srcPort: 80, dstPort: 49152, seq: ISN_SERVER + 1 + body.length, ack: cSeq + 1, flags: TcpFlag.ACK | TcpFlag.FIN, window: 509 })]),
    serialize([...c2s(23), new Tcp({ srcPort: 49152, dstPort: 80, seq: cSeq + 1, ack: ISN_SERVER + 2 + body.length, flags: TcpFlag.ACK, window: 501 })]),
    serialize([...c2s(24), new Tcp({ srcPort: 40100, dstPort: 8080, seq: 777, flags: TcpFlag.SYN, window: 1024 })]),
    serialize([...s2c(25), new Tcp({ srcPort: 8080, dstPort: 40100, seq: 0, ack: 778, flags: TcpFlag.RST | TcpFlag.ACK, window: 0 })]),
    serialize([new Ethernet({ dst: mac('ff:ff:ff:ff:ff:ff'), src: MAC_ROUTER, etherType: ETHERTYPE_ARP, pad: true }), new Arp({ op: ARP_REQUEST, sha: MAC_ROUTER, spa: VIP, tpa: VIP })]),
  ];
}

/** Every-codec frames + extras as a pcapng (1 ms apart, a comment on the first): bytes and path. */
export function captureFile(name = 'dissect.pcapng'): { bytes: Uint8Array; file: string; frames: Uint8Array[] } {
  const frames = [...everyCodecFrames().map((f) => f.bytes), ...extraFrames()];
  const w = new PcapngWriter();
  const i = w.addInterface({ name: 'lab:client' });
  frames.forEach((f, k) => w.writePacket(i, BigInt(k) * 1_000_000n + 500n, f, k === 0 ? { comment: 'alteon: SLB vip1 → real2 (roundrobin)', direction: 'inbound' } : {}));
  const bytes = w.toBytes();
  return { bytes, file: writeArtifact(name, bytes), frames };
}

function tshark(args: string[]): string {
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const NO_REASSEMBLY = ['-o', 'tcp.desegment_tcp_streams:FALSE'];

/** Fields compared with PDML: value and, unless generated, the byte range. */
const PDML_FIELDS = new Set([
  'eth.src', 'eth.dst', 'eth.type', 'arp.opcode', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'ip.src', 'ip.dst', 'ip.ttl', 'ip.proto', 'ip.len', 'ip.id', 'ip.flags.df',
  'tcp.srcport', 'tcp.dstport', 'tcp.seq', 'tcp.ack', 'tcp.seq_raw', 'tcp.flags', 'tcp.flags.syn', 'tcp.flags.ack', 'tcp.flags.fin', 'tcp.flags.reset', 'tcp.flags.push',
  'tcp.window_size_value', 'tcp.hdr_len', 'tcp.stream', 'tcp.len', 'tcp.options.mss_val', 'tcp.options.wscale.shift', 'tcp.options.timestamp.tsval',
  'udp.srcport', 'udp.dstport', 'udp.length',
  'icmp.type', 'icmp.code', 'icmp.ident', 'icmp.seq', 'icmp.mtu',
  'dns.id', 'dns.qry.name', 'dns.resp.name', 'dns.a', 'dns.cname', 'dns.resp.ttl',
  'http.request.method', 'http.request.uri', 'http.response.code', 'http.host',
  'geneve.vni', 'geneve.option.class', 'geneve.proto_type',
  'vlan.id', 'vlan.priority',
]);
const GENERATED = new Set(['tcp.stream', 'tcp.len']);

type Occ = string;

function pdmlFields(xml: string): Occ[][] {
  const out: Occ[][] = [];
  for (const pkt of xml.split('<packet>').slice(1)) {
    const list: Occ[] = [];
    for (const m of pkt.matchAll(/<field name="([^"]+)"([^>]*)>/g)) {
      const name = m[1]!;
      const attrs = m[2]!;
      if (!PDML_FIELDS.has(name) || / hide="yes"/.test(attrs)) continue;
      const a = (k: string): string => /* attribute */ (new RegExp(` ${k}="([^"]*)"`).exec(attrs)?.[1] ?? '').replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&');
      list.push(GENERATED.has(name) ? `${name}=${a('show')}` : `${name}=${a('show')}@${a('pos')}+${a('size')}`);
    }
    out.push(list.sort());
  }
  return out;
}

function ourFields(tree: TreeNode[]): Occ[] {
  const list: Occ[] = [];
  const visit = (n: TreeNode): void => {
    if (n.field && PDML_FIELDS.has(n.field)) {
      list.push(GENERATED.has(n.field) ? `${n.field}=${n.value}` : `${n.field}=${n.value}@${n.range?.[0]}+${n.range?.[1]}`);
    }
    for (const c of n.children ?? []) visit(c);
  };
  tree.forEach(visit);
  return list.sort();
}

describe('engine/capture/dissect', () => {
  it('columns equal tshark -2 (No., Time, Source, Destination, Protocol, Length, Info)', function () {
    requireTool(this, 'tshark');
    const { bytes, file } = captureFile();
    const c = readCapture(bytes);
    assert.ok(c.ok);
    const store = PacketStore.fromCapture(c.value);
    const want = tshark(['-2', '-r', file, ...NO_REASSEMBLY, '-T', 'fields', '-E', 'occurrence=f', '-e', 'frame.number', '-e', 'frame.time_relative', '-e', '_ws.col.Source', '-e', '_ws.col.Destination', '-e', '_ws.col.Protocol', '-e', 'frame.len', '-e', '_ws.col.Info'])
      .split('\n')
      .filter((l) => l)
      .map((l) => l.split('\t'));
    const rows = store.rows(0, store.count);
    assert.equal(rows.length, want.length);
    rows.forEach((r, i) => {
      const w = want[i]!;
      assert.deepEqual([String(r.no), r.time, r.source, r.destination, r.protocol, String(r.length), r.info], w, `frame ${i + 1}`);
    });
    assert.equal(rows[0]!.comment, 'alteon: SLB vip1 → real2 (roundrobin)');
  });

  it("field values and byte ranges equal tshark's PDML (show, pos, size)", function () {
    requireTool(this, 'tshark');
    const { bytes, file } = captureFile('dissect-pdml.pcapng');
    const want = pdmlFields(tshark(['-2', '-r', file, ...NO_REASSEMBLY, '-T', 'pdml']));
    const c = readCapture(bytes);
    assert.ok(c.ok);
    const store = PacketStore.fromCapture(c.value);
    assert.equal(want.length, store.count);
    let compared = 0;
    for (let i = 0; i < store.count; i++) {
      const ours = ourFields(store.detail(i).tree);
      assert.deepEqual(ours, want[i], `frame ${i + 1}`);
      compared += ours.length;
    }
    assert.ok(compared > 300, `compared ${compared} field occurrences`);
  });

  it('hides tcp.port and udp.port in the tree (as Wireshark does) while they stay filterable', () => {
    const { frames } = captureFile('dissect-tree.pcapng');
    const store = new PacketStore();
    frames.forEach((f, i) => store.append(f, { timeNs: BigInt(i) * 1000n }));
    const fields: string[] = [];
    const visit = (n: TreeNode): void => {
      if (n.field) fields.push(n.field);
      if (n.label.startsWith('Source or Destination Port')) fields.push(`label:${n.label}`);
      n.children?.forEach(visit);
    };
    for (let i = 0; i < store.count; i++) store.detail(i).tree.forEach(visit);
    assert.ok(fields.includes('tcp.srcport') && fields.includes('udp.dstport'));
    assert.deepEqual(fields.filter((f) => f === 'tcp.port' || f === 'udp.port' || f.startsWith('label:')), []);
    for (const f of ['tcp.port == 80', 'udp.port == 53']) {
      const r = store.filter(f);
      assert.ok(r.ok && r.value.length > 0, f);
    }
  });

  it('builds one node per layer with Wireshark titles, and bit fields with their byte ranges', () => {
    const { frames } = captureFile('dissect-tree.pcapng');
    const store = new PacketStore();
    frames.forEach((f, i) => store.append(f, { timeNs: BigInt(i) * 1000n }));
    const syn = store.detail(7);
    const titles = syn.tree.map((n) => n.label);
    assert.deepEqual(titles, [
      'Frame 8: 74 bytes on wire (592 bits), 74 bytes captured (592 bits) on interface capture, id 0',
      'Ethernet II, Src: 02:00:00:00:00:01, Dst: 02:00:00:00:00:fe',
      'Internet Protocol Version 4, Src: 10.0.0.1, Dst: 13.246.100.25',
      'Transmission Control Protocol, Src Port: 49152, Dst Port: 80, Seq: 0, Len: 0',
    ]);
    const tcp = syn.tree[3]!;
    const flags = tcp.children!.find((n) => n.field === 'tcp.flags')!;
    const synBit = flags.children!.find((n) => n.field === 'tcp.flags.syn')!;
    assert.equal(synBit.label, '.... .... ..1. = Syn: Set');
    assert.deepEqual(synBit.range, [47, 1]);
    const opts = tcp.children!.find((n) => n.field === 'tcp.options')!;
    assert.deepEqual(opts.range, [54, 20]);
    assert.deepEqual(opts.children!.map((o) => o.field), ['tcp.options.mss', 'tcp.options.sack_perm', 'tcp.options.timestamp', 'tcp.options.nop', 'tcp.options.wscale']);
    // GENEVE: options and the inner frame as nested layers.
    const gen = store.detail(15);
    assert.deepEqual(gen.tree.map((n) => n.field), ['frame', 'eth', 'ip', 'udp', 'geneve', 'eth', 'ip', 'tcp']);
    const g = gen.tree[4]!;
    assert.equal(g.children!.find((n) => n.field === 'geneve.options')!.children!.length, 3);
    // ICMP error: the quoted datagram nested inside the ICMP node.
    const te2 = store.detail(5);
    const icmp = te2.tree.find((n) => n.field === 'icmp')!;
    assert.deepEqual(icmp.children!.filter((n) => n.protocol).map((n) => n.field), ['ip', 'tcp']);
    // HTTP header lines with their byte ranges.
    const http = store.detail(10).tree.find((n) => n.field === 'http')!;
    const host = http.children!.find((n) => n.field === 'http.host')!;
    assert.equal(host.value, 'www.example.com');
    assert.deepEqual(host.range, [54 + 26, 23]);
    // The decision comment.
    const d = store.detail(0);
    assert.equal(d.columns.comment, undefined);
  });

  it('shows what decoded of truncated frames and marks them malformed, never throwing', () => {
    const { frames } = captureFile('dissect-trunc.pcapng');
    for (const f of frames) {
      for (let n = 0; n < f.length; n++) {
        const d = dissect(f.subarray(0, n), { number: 1 });
        assert.equal(typeof d.columns.info, 'string');
      }
    }
    const d = dissect(frames[7]!.subarray(0, 40), { number: 1 });
    assert.equal(d.malformed, true);
    assert.ok(d.tree.some((n) => n.label.startsWith('[Malformed Packet')), JSON.stringify(d.tree.map((n) => n.label)));
    assert.match(d.columns.info, /\[Malformed Packet\]$/);
    assert.equal(d.columns.protocol, 'TCP');
  });

  it('never throws on random or mutated frames (fast-check)', () => {
    const frames = [...everyCodecFrames().map((f) => f.bytes), ...extraFrames()];
    const runs = Math.min(Number(process.env.PKTLAB_FUZZ_RUNS ?? 20_000), 20_000);
    const check = (b: Uint8Array): void => {
      const d = dissect(b, { number: 1, tcp: () => ({ stream: 0, seqBase: 1, ackBase: null }), echo: () => 2 });
      assert.equal(typeof d.columns.info, 'string');
      assert.ok(Array.isArray(d.tree));
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: runs });
    fc.assert(fc.property(mutated(fc.constantFrom(...frames)), check), { numRuns: runs });
  });
});
