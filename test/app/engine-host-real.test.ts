/**
 * A lab with a host declared `real: true`, run by the engine host as root: the host becomes a network
 * namespace + TAP, its console is kind 'real', the lab runs in wall time (no step back), checks work,
 * and closing the service removes the namespace. Skipped without root and `ip netns`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeError, ConsoleInfo, ExecResult, StepCheckResult, TimelineState } from '../../app/shared/bridge.ts';
import { EngineService } from '../../engine/host/service.ts';
import { canUseNetns } from '../support/tools.ts';

const LAB = `id: 99-real-host
chapter: "99"
title: A real host
seed: 1
topology:
  devices:
    alice: { kind: host, real: true, interfaces: { eth0: 10.0.0.1/24 } }
    bob: { kind: host, interfaces: { eth0: 10.0.0.2/24 } }
  segments:
    lan: [alice.eth0, bob.eth0]
  captures:
    lan: { at: lan }
steps:
  - id: ping
    title: Ping
    instructions: ping bob from the real alice
    checks:
      - id: pinged
        capture: { at: lan, filter: icmp, count: { min: 2 } }
`;

describe('engine/host with a real host (root)', function () {
  this.timeout(60_000);
  let dir: string;

  before(function () {
    if (!canUseNetns()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'pktlab-real-'));
    writeFileSync(join(dir, 'real.yaml'), LAB);
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('pings from a real console, refuses step back, checks, and removes the namespace on close', async function () {
    const s = new EngineService({ labsDir: dir, emit: () => {} });
    try {
      await s.call('labs.open', ['99-real-host']);
      const c = (await s.call('consoles.open', ['alice'])) as ConsoleInfo;
      assert.equal(c.kind, 'real');
      const r = (await s.call('consoles.exec', [c.consoleId, 'ping -c 2 -W 2 10.0.0.2'])) as ExecResult;
      assert.equal(r.exitCode, 0, r.output);
      assert.match(r.output, /2 received/);
      const t = (await s.call('timeline.state', [])) as TimelineState;
      assert.deepEqual([t.realHosts, t.canStepBack, t.speed], [['alice'], false, 1]);
      await assert.rejects(s.call('timeline.stepBack', []), (e: BridgeError) => e.code === 'unsupported' && /wall time/.test(e.message));
      await assert.rejects(s.call('timeline.setSpeed', [10]), (e: BridgeError) => e.code === 'unsupported');
      const chk = (await s.call('steps.check', [])) as StepCheckResult;
      assert.ok(chk.pass, JSON.stringify(chk.checks));
      assert.match(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, /pktlab-99-real-host-alice/);
    } finally {
      await s.disposeAsync();
    }
    assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, /pktlab-99-real-host-alice/);
  });
});
