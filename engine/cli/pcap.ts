import type { Command } from './main.ts';

/** Placeholder replaced by the capture work: prints one tcpdump-style line per packet. */
export const pcapCommand: Command = {
  summary: 'print one tcpdump-style line per packet of a pcap or pcapng file',
  usage: 'pcap FILE',
  async run(_args, io) {
    io.err('pktlab pcap: not implemented yet\n');
    return 1;
  },
};
