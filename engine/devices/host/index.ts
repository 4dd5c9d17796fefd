/** The commands of a host's shell. */
import type { Shell } from '../shell.ts';
import type { Host } from '../host.ts';
import { curl } from './curl.ts';
import { digCommand, nslookupCommand } from './dig.ts';
import { ip } from './ip.ts';
import { ping } from './ping.ts';
import { ss } from './ss.ts';
import { catCommand, hostnameCommand, systemctlCommand } from './system.ts';
import { tcpdump } from './tcpdump.ts';
import { traceroute } from './traceroute.ts';

export function registerHostCommands(shell: Shell<Host>): void {
  for (const c of [ping, traceroute, ip, ss, tcpdump, curl, digCommand, nslookupCommand, systemctlCommand, hostnameCommand, catCommand]) shell.register(c);
  shell.register({
    ...catCommand,
    name: 'cat',
    complete: (_args, partial) => [...shell.device.files.keys()].filter((k) => k.startsWith(partial)),
  });
}
