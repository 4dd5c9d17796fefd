/**
 * The `pktlab` command. Subcommands register in COMMANDS; each returns its exit code.
 * Exit codes: 0 success, 1 the command ran and found a problem (invalid lab, failed check, unreadable
 * capture), 2 usage error.
 */
import { execCommand } from './exec.ts';
import { pcapCommand } from './pcap.ts';
import { runCommand } from './run.ts';
import { validateCommand } from './validate.ts';

export interface Command {
  summary: string;
  usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: CliIo = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
};

export const COMMANDS: Record<string, Command> = {
  run: runCommand,
  validate: validateCommand,
  exec: execCommand,
  pcap: pcapCommand,
};

export function helpText(): string {
  const lines = [
    'pktlab — a network lab with packet-level emulation',
    '',
    'Usage: pktlab COMMAND [ARGS]',
    '',
    'Commands:',
  ];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${c.usage.padEnd(44)} ${c.summary}`);
  lines.push('', 'Run `pktlab COMMAND --help` for a command\'s options.');
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(helpText());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    io.err(`pktlab: '${name}' is not a pktlab command. See 'pktlab --help'.\n`);
    return 2;
  }
  return cmd.run(rest, io);
}
