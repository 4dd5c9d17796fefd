/**
 * Test hook: a packet table of `count` synthetic frames (ARP, DNS, TCP handshakes, HTTP, ICMP) for
 * the UI's scale tests (a million rows must scroll with only the visible ones in the DOM). Frames
 * come from a small set of templates.
 * Enabled only when the engine host runs with PKTLAB_TEST_HOOKS=1 (service.ts checks).
 */
import { PacketStore } from '../capture/packet-store.ts';
import { PacketView } from './packets.ts';

function ipSum(b: Uint8Array, o: number): void {
  let s = 0;
  for (let i = 0; i < 20; i += 2) s += (b[o + i]! << 8) | b[o + i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  b[o + 10] = c >> 8;
  b[o + 11] = c & 0xff;
}

function eth(dst: number[], src: number[], type: number, payload: Uint8Array): Uint8Array {
  const len = Math.max(60, 14 + payload.length);
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, 14);
  return f;
}

function ipv4(src: number[], dst: number[], proto: number, l4: Uint8Array, id: number): Uint8Array {
  const p = new Uint8Array(20 + l4.length);
  p[0] = 0x45;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[4] = id >> 8;
  p[5] = id & 0xff;
  p[6] = 0x40;
  p[8] = 64;
  p[9] = proto;
  p.set(src, 12);
  p.set(dst, 16);
  ipSum(p, 0);
  p.set(l4, 20);
  return p;
}

function tcp(sport: number, dport: number, seq: number, ack: number, flags: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const t = new Uint8Array(20 + data.length);
  t[0] = sport >> 8;
  t[1] = sport & 0xff;
  t[2] = dport >> 8;
  t[3] = dport & 0xff;
  new DataView(t.buffer).setUint32(4, seq);
  new DataView(t.buffer).setUint32(8, ack);
  t[12] = 5 << 4;
  t[13] = flags;
  t[14] = 0xfa;
  t[15] = 0xf0;
  t.set(data, 20);
  return t;
}

function udp(sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  u[0] = sport >> 8;
  u[1] = sport & 0xff;
  u[2] = dport >> 8;
  u[3] = dport & 0xff;
  u[4] = u.length >> 8;
  u[5] = u.length & 0xff;
  u.set(data, 8);
  return u;
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

function templates(): { frame: Uint8Array; comment?: string }[] {
  const mc = [0x02, 0, 0, 0, 0, 0x11];
  const ms = [0x02, 0, 0, 0, 0, 0x01];
  const c = [13, 246, 100, 11];
  const v = [13, 246, 100, 25];
  const dns = [13, 246, 100, 53];
  const out: { frame: Uint8Array; comment?: string }[] = [];
  const arpReq = new Uint8Array(28);
  arpReq.set([0, 1, 8, 0, 6, 4, 0, 1, ...mc, ...c, 0, 0, 0, 0, 0, 0, ...v]);
  out.push({ frame: eth([255, 255, 255, 255, 255, 255], mc, 0x0806, arpReq) });
  const arpRep = new Uint8Array(28);
  arpRep.set([0, 1, 8, 0, 6, 4, 0, 2, ...ms, ...v, ...mc, ...c]);
  out.push({ frame: eth(mc, ms, 0x0806, arpRep) });
  const q = new Uint8Array([0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 119, 119, 119, 4, 108, 97, 98, 115, 0, 0, 1, 0, 1]);
  out.push({ frame: eth(ms, mc, 0x0800, ipv4(c, dns, 17, udp(40000, 53, q), 1)) });
  for (let k = 0; k < 12; k++) {
    const sport = 40100 + k;
    const seq = 1000 + k * 7919;
    out.push({ frame: eth(ms, mc, 0x0800, ipv4(c, v, 6, tcp(sport, 80, seq, 0, 0x02), 10 + k)), comment: `slb: new session → real ${(k % 2) + 1}` });
    out.push({ frame: eth(mc, ms, 0x0800, ipv4(v, c, 6, tcp(80, sport, 5000, seq + 1, 0x12), 20 + k)) });
    out.push({ frame: eth(ms, mc, 0x0800, ipv4(c, v, 6, tcp(sport, 80, seq + 1, 5001, 0x10), 30 + k)) });
    out.push({ frame: eth(ms, mc, 0x0800, ipv4(c, v, 6, tcp(sport, 80, seq + 1, 5001, 0x18, text('GET / HTTP/1.1\r\nHost: 13.246.100.25\r\n\r\n')), 40 + k)) });
    out.push({ frame: eth(mc, ms, 0x0800, ipv4(v, c, 6, tcp(80, sport, 5001, seq + 41, 0x18, text(`HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nreal${(k % 2) + 1}\n`)), 50 + k)) });
    out.push({ frame: eth(ms, mc, 0x0800, ipv4(c, v, 6, tcp(sport, 80, seq + 41, 5050, 0x11), 60 + k)) });
  }
  const echo = new Uint8Array(16);
  echo.set([8, 0, 0, 0, 0x4a, 0x52, 0, 1]);
  out.push({ frame: eth(ms, mc, 0x0800, ipv4(c, v, 1, echo, 90)) });
  return out;
}

export function syntheticView(count: number): PacketView {
  const t = templates();
  const store = new PacketStore();
  store.addInterface({ name: 'synthetic', description: 'Synthetic packets (test)' });
  const epoch = 1_704_067_200_000_000_000n;
  // The first round of templates is copied in; later rounds share those bytes (no copy per packet).
  for (let i = 0; i < count; i++) {
    const k = i % t.length;
    const x = t[k]!;
    const meta = x.comment ? { timeNs: epoch + BigInt(i * 1000), comment: x.comment } : { timeNs: epoch + BigInt(i * 1000) };
    if (i < t.length) store.append(x.frame, meta);
    else store.appendSame(k, meta);
  }
  return new PacketView(store, [{ id: 'synthetic', description: { ko: '합성 패킷 (테스트)', en: 'Synthetic packets (test)' } }]);
}
