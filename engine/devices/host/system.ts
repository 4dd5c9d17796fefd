/** systemctl (systemd 252, Debian 12), hostname, cat. */
import type { CommandSpec } from '../shell.ts';
import type { Host } from '../host.ts';
import { agoText, systemdDate, type Ctx } from './util.ts';

function systemctl(ctx: Ctx): void {
  const host: Host = ctx.device;
  const args = ctx.args.filter((a) => !a.startsWith('-'));
  const verb = args[0];
  const units = args.slice(1).map((u) => u.replace(/\.service$/, ''));
  if (verb === undefined || verb === 'list-units') {
    ctx.out('  UNIT                 LOAD   ACTIVE   SUB     DESCRIPTION\n');
    for (const e of host.services()) {
      const sub = e.state === 'active' ? 'running' : e.state === 'failed' ? 'failed' : 'dead';
      ctx.out(`  ${`${e.service.name}.service`.padEnd(20)} loaded ${e.state.padEnd(8)} ${sub.padEnd(7)} ${e.service.description}\n`);
    }
    ctx.out(`\n${host.services().length} loaded units listed.\n`);
    return ctx.exit(0);
  }
  if (!['start', 'stop', 'restart', 'status', 'is-active'].includes(verb)) {
    ctx.err(`Unknown command verb ${verb}.\n`);
    return ctx.exit(1);
  }
  if (units.length === 0) {
    ctx.err(`Too few arguments.\n`);
    return ctx.exit(1);
  }
  let code = 0;
  for (const u of units) {
    const e = host.service(u);
    if (verb === 'status') {
      if (e === undefined) {
        ctx.err(`Unit ${u}.service could not be found.\n`);
        code = 4;
        continue;
      }
      const state = e.state === 'active' ? 'active (running)' : e.state === 'failed' ? 'failed (Result: exit-code)' : 'inactive (dead)';
      const dot = e.state === 'active' ? '●' : e.state === 'failed' ? '×' : '○';
      let s = `${dot} ${u}.service - ${e.service.description}\n`;
      s += `     Loaded: loaded (/lib/systemd/system/${u}.service; enabled; preset: enabled)\n`;
      s += `     Active: ${state} since ${systemdDate(e.since)}; ${agoText(ctx.sched.now - e.since)} ago\n`;
      if (e.state === 'active') {
        s += `   Main PID: ${e.pid} (${u})\n`;
        s += `      Tasks: 1 (limit: 4915)\n`;
        s += `     CGroup: /system.slice/${u}.service\n`;
        s += `             └─${e.pid} ${e.service.exec ?? `/usr/sbin/${u}`}\n`;
      } else if (e.state === 'failed' && e.error) {
        s += `\n${systemdDate(e.since).slice(4, 19)} ${host.hostname} ${u}[${e.pid || host.pidOf(u)}]: ${e.error}\n`;
      }
      ctx.out(s);
      if (e.state !== 'active') code = 3;
      continue;
    }
    if (verb === 'is-active') {
      ctx.out(`${e === undefined ? 'inactive' : e.state}\n`);
      if (e?.state !== 'active') code = 3;
      continue;
    }
    if (e === undefined) {
      ctx.err(`Failed to ${verb} ${u}.service: Unit ${u}.service not found.\n`);
      code = 5;
      continue;
    }
    if (verb === 'stop' || verb === 'restart') host.stopService(u);
    if (verb === 'start' || verb === 'restart') {
      const err = host.startService(u);
      if (err !== null) {
        ctx.err(`Job for ${u}.service failed because the control process exited with error code.\nSee "systemctl status ${u}.service" and "journalctl -xeu ${u}.service" for details.\n`);
        code = 1;
      }
    }
  }
  ctx.exit(code);
}

function hostname(ctx: Ctx): void {
  const host: Host = ctx.device;
  if (ctx.args[0] === '-I' || ctx.args[0] === '-i') {
    const addrs = host.interfaces().filter((i) => !i.loopback).flatMap((i) => i.addresses.map((a) => a.addr));
    ctx.out(`${addrs.map((a) => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`).join(' ')} \n`);
  } else ctx.out(`${host.hostname}\n`);
  ctx.exit(0);
}

function cat(ctx: Ctx): void {
  const host: Host = ctx.device;
  let code = 0;
  for (const f of ctx.args) {
    if (f === '-') continue;
    const path = f.startsWith('/') ? f : `/root/${f}`;
    const text = host.files.get(path);
    if (text === undefined) {
      const isDir = [...host.files.keys()].some((k) => k.startsWith(`${path.replace(/\/$/, '')}/`));
      ctx.err(`cat: ${f}: ${isDir ? 'Is a directory' : 'No such file or directory'}\n`);
      code = 1;
    } else ctx.out(text);
  }
  ctx.exit(code);
}

export const systemctlCommand: CommandSpec<Host> = {
  name: 'systemctl',
  summary: 'start, stop, restart and show services',
  run: systemctl,
  complete: (args) => (args.length === 0 ? ['start', 'stop', 'restart', 'status'] : []),
};
export const hostnameCommand: CommandSpec<Host> = { name: 'hostname', summary: "show the host's name", run: hostname };
export const catCommand: CommandSpec<Host> = {
  name: 'cat',
  summary: 'print files (/etc/hosts, /etc/resolv.conf, files written by curl -o)',
  run: cat,
};
