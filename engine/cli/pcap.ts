/**
 * `pktlab pcap FILE`: one tcpdump-style line per packet of a pcapng or classic pcap file,
 *
 *   HH:MM:SS.nnnnnnnnn [INTERFACE] SUMMARY [# COMMENT]
 *
 * with the time of day in UTC to the nanosecond, the interface name when the file has several, the
 * line of engine/wire/summary.ts, and the packet's comment (the device's decision in pktlab captures).
 * Exit 0 when the whole file was read; 1 when it could not be read or broke off (the packets before
 * the damage are printed first); 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import { readCapture, type Capture, type CapturePacket } from '../capture/capture.ts';
import { summarizeFrame } from '../wire/summary.ts';
import { fileReason, usageError } from './common.ts';
import type { CliIo, Command } from './main.ts';

const USAGE = 'pcap [-e] [--json] FILE';
const LINKTYPE_ETHERNET = 1;

const HELP = `Usage: pktlab ${USAGE}

Print one tcpdump-style line per packet of a pcapng or classic pcap file:
  HH:MM:SS.nnnnnnnnn [INTERFACE] SUMMARY [# COMMENT]
Times are UTC time of day to the nanosecond; INTERFACE appears when the file has several.

Options:
  -e          include link-level headers (MAC addresses, VLAN tags), like tcpdump -e
  --json      print a JSON array of {number, time, interface, summary, comment, direction}
  -h, --help  show this help

Exit status: 0 file read completely, 1 unreadable/corrupt/truncated file, 2 usage error.
`;

const NS_PER_S = 1_000_000_000n;
const NS_PER_DAY = 86_400n * NS_PER_S;

/** `HH:MM:SS.nnnnnnnnn` (UTC) of an absolute ns timestamp. */
export function timeOfDay(ns: bigint | null): string {
  if (ns === null) return '--:--:--.---------';
  const inDay = ((ns % NS_PER_DAY) + NS_PER_DAY) % NS_PER_DAY;
  const secs = Number(inDay / NS_PER_S);
  const frac = inDay % NS_PER_S;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}.${frac.toString().padStart(9, '0')}`;
}

/** ISO 8601 UTC with nanoseconds, e.g. `2024-01-01T12:00:00.123456789Z`, or null without a timestamp. */
export function isoTime(ns: bigint | null): string | null {
  if (ns === null) return null;
  const secs = ns >= 0n ? ns / NS_PER_S : -((-ns + NS_PER_S - 1n) / NS_PER_S);
  const frac = ns - secs * NS_PER_S;
  const ms = Number(secs) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return null;
  const iso = new Date(ms).toISOString(); // has an argument: not a wall-clock read
  return `${iso.slice(0, 19)}.${frac.toString().padStart(9, '0')}Z`;
}

function interfaceName(c: Capture, id: number): string {
  return c.interfaces[id]?.name ?? `if${id}`;
}

function summary(c: Capture, p: CapturePacket, link: boolean): string {
  const lt = c.interfaces[p.interfaceId]?.linktype ?? LINKTYPE_ETHERNET;
  if (lt !== LINKTYPE_ETHERNET) return `linktype ${lt}, length ${p.originalLength}`;
  return summarizeFrame(p.data, { linkHeader: link });
}

/** Buffers output into large writes. */
class Out {
  private buf = '';
  constructor(private readonly io: CliIo) {}
  write(s: string): void {
    this.buf += s;
    if (this.buf.length > 1 << 16) this.flush();
  }
  flush(): void {
    if (this.buf) this.io.out(this.buf);
    this.buf = '';
  }
}

export const pcapCommand: Command = {
  summary: 'print one tcpdump-style line per packet of a pcap or pcapng file',
  usage: USAGE,
  async run(args, io) {
    let link = false;
    let json = false;
    let file: string | undefined;
    for (const a of args) {
      if (a === '-h' || a === '--help') {
        io.out(HELP);
        return 0;
      } else if (a === '-e') link = true;
      else if (a === '--json') json = true;
      else if (a.startsWith('-') && a !== '-') return usageError(io, 'pcap', USAGE, `unknown option '${a}'`);
      else if (file === undefined) file = a;
      else return usageError(io, 'pcap', USAGE, `one FILE only (got '${file}' and '${a}')`);
    }
    if (file === undefined) return usageError(io, 'pcap', USAGE, 'missing FILE');
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch (e) {
      io.err(`pktlab pcap: ${file}: ${fileReason(e, true)}\n`);
      return 1;
    }
    const r = readCapture(bytes);
    if (!r.ok) {
      io.err(`pktlab pcap: ${file}: ${r.error.message}\n`);
      return 1;
    }
    const c = r.value;
    const out = new Out(io);
    const several = c.interfaces.length > 1;
    if (json) {
      out.write('[');
      c.packets.forEach((p, i) => {
        const row = {
          number: i + 1,
          time: isoTime(p.timestampNs),
          interface: interfaceName(c, p.interfaceId),
          summary: summary(c, p, link),
          comment: p.comment ?? null,
          direction: p.direction ?? null,
        };
        out.write(`${i === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`);
      });
      out.write(c.packets.length ? '\n]\n' : ']\n');
    } else {
      for (const p of c.packets) {
        let line = timeOfDay(p.timestampNs);
        if (several) line += ` ${interfaceName(c, p.interfaceId)}`;
        line += ` ${summary(c, p, link)}`;
        if (p.comment !== undefined) line += ` # ${p.comment.replace(/\r?\n/g, ' # ')}`;
        out.write(`${line}\n`);
      }
    }
    out.flush();
    if (c.error) {
      io.err(`pktlab pcap: ${file}: ${c.error.message}\n`);
      return 1;
    }
    return 0;
  },
};
