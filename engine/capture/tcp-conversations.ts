/**
 * TCP conversation tracking as Wireshark does it for `tcp.stream` and relative sequence numbers
 * (packet-tcp.c): a conversation is the unordered address/port 4-tuple, numbered from 0 in order of
 * first appearance (a segment quoted in an ICMP error counts too); a SYN without ACK whose sequence
 * number differs from the conversation's earlier SYN starts a new stream on the same 4-tuple (port
 * reuse). The base sequence number of a direction is set once: by its SYN (relative 0), else by its
 * first segment (seq - 1, so data starts at relative 1), else by the other side's ACK (ack - 1).
 * Segments inside ICMP errors do not set bases (Wireshark skips analysis for in_error_pkt).
 */
export interface TcpEndpoints {
  readonly srcIp: number;
  readonly srcPort: number;
  readonly dstIp: number;
  readonly dstPort: number;
}

export interface TcpStreamInfo {
  readonly stream: number;
  /** Base for this segment's sequence number, or null when unknown (absolute numbers shown). */
  readonly seqBase: number | null;
  /** Base for its acknowledgment number (the other direction's base), or null. */
  readonly ackBase: number | null;
}

interface Conv {
  readonly stream: number;
  /** Endpoint A (the first sender): ip * 65536 + port. */
  readonly a: number;
  readonly base: [number, number];
  readonly baseSet: [boolean, boolean];
  synSeq: number;
  synSeen: boolean;
}

const SYN = 0x002;
const ACK = 0x010;

function endpoint(ip: number, port: number): number {
  return ip * 65536 + port;
}

export class TcpConversations {
  /** Latest conversation by lower endpoint, then higher endpoint (numeric keys: no string per segment). */
  private readonly byKey = new Map<number, Map<number, Conv>>();
  private readonly streams: Conv[] = [];

  private get(a: number, b: number): Conv | undefined {
    return a < b ? this.byKey.get(a)?.get(b) : this.byKey.get(b)?.get(a);
  }

  private set(a: number, b: number, c: Conv): void {
    const lo = a < b ? a : b;
    let m = this.byKey.get(lo);
    if (m === undefined) {
      m = new Map();
      this.byKey.set(lo, m);
    }
    m.set(a < b ? b : a, c);
  }

  get count(): number {
    return this.streams.length;
  }

  /** Records one segment (in capture order); returns its stream index. */
  observe(e: TcpEndpoints, seq: number, ack: number, flags: number, quoted: boolean): number {
    const src = endpoint(e.srcIp, e.srcPort);
    const dst = endpoint(e.dstIp, e.dstPort);
    let c = this.get(src, dst);
    const synOnly = flags >= 0 && (flags & (SYN | ACK)) === SYN;
    if (c === undefined || (!quoted && synOnly && c.synSeen && c.synSeq !== seq)) {
      c = { stream: this.streams.length, a: src, base: [0, 0], baseSet: [false, false], synSeq: 0, synSeen: false };
      this.streams.push(c);
      this.set(src, dst, c);
    }
    if (quoted || flags < 0) return c.stream;
    const d = src === c.a ? 0 : 1;
    if (synOnly && !c.synSeen) {
      c.synSeen = true;
      c.synSeq = seq;
    }
    if (!c.baseSet[d]) {
      c.base[d] = flags & SYN ? seq : (seq - 1) >>> 0;
      c.baseSet[d] = true;
    }
    if (flags & ACK && !c.baseSet[1 - d]) {
      c.base[1 - d] = (ack - 1) >>> 0;
      c.baseSet[1 - d] = true;
    }
    return c.stream;
  }

  /** The latest stream of a 4-tuple, or -1. */
  streamOf(e: TcpEndpoints): number {
    const c = this.get(endpoint(e.srcIp, e.srcPort), endpoint(e.dstIp, e.dstPort));
    return c === undefined ? -1 : c.stream;
  }

  /** Stream and relative-number bases for a segment of `stream` sent by `e`'s source. */
  info(stream: number, e: TcpEndpoints): TcpStreamInfo | null {
    const c = this.streams[stream];
    if (c === undefined) return null;
    const d = endpoint(e.srcIp, e.srcPort) === c.a ? 0 : 1;
    return { stream, seqBase: c.baseSet[d] ? c.base[d] : null, ackBase: c.baseSet[1 - d] ? c.base[1 - d] : null };
  }
}
