import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLang } from '../../../engine/cli/run.ts';
import { requireTool } from '../../support/tools.ts';
import { assertCleanCapture } from '../../support/tshark.ts';
import { assertUsageErrors, pktlab } from '../../support/cli.ts';

function labFiles(dir = 'labs'): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...labFiles(p));
    else if (e.endsWith('.yaml')) out.push(p);
  }
  return out;
}

const FAILING = 'test/engine/lab/fixtures/failing.yaml';

describe('cli/run', function () {
  this.timeout(120_000);
  const tmp = mkdtempSync(join(tmpdir(), 'pktlab-run-'));

  it('finds the labs', () => {
    assert.ok(labFiles().length >= 4, labFiles().join(', '));
  });

  for (const lab of labFiles()) {
    it(`${lab} passes pktlab run, and its pcapng passes tshark`, async function () {
      const pcap = join(tmp, `${lab.replace(/[/\\]/g, '_')}.pcapng`);
      const r = await pktlab('run', lab, '--pcap', pcap, '--lang', 'en');
      assert.equal(r.code, 0, r.out + r.err);
      assert.equal(r.err, '');
      assert.match(r.out, /^result: PASS — (\d+)\/\1 checks passed, score (\d+)\/\2 \(100%\)\n$/m);
      assert.doesNotMatch(r.out, /FAIL/);
      requireTool(this, 'tshark');
      assertCleanCapture(pcap);
    });
  }

  it('a failing check names expected and actual values, and the exit code is 1', async () => {
    const r = await pktlab('run', FAILING, '--lang', 'en');
    assert.equal(r.code, 1);
    assert.match(r.out, /\[2\/3\] first-ping — The first ping: FAIL\n/);
    assert.match(r.out, /  FAIL arp-request  alice sent one ARP request for 10\.0\.0\.2\n {9}expected 2 packets matching "arp" and \/Request who-has 10\\\.0\\\.0\\\.2 tell 10\\\.0\\\.0\\\.1\/ at lan, saw 1: ARP, Request who-has 10\.0\.0\.2 tell 10\.0\.0\.1, length 46\n/);
    assert.match(r.out, /  FAIL echo  .*\n {9}expected at least 4 packets matching "icmp" at lan, saw 2: /);
    assert.match(r.out, /^result: FAIL — 6\/8 checks passed, score 7\/9 \(77%\)\n$/m);
  });

  it('--json gives the machine-readable result', async () => {
    const r = await pktlab('run', FAILING, '--json');
    assert.equal(r.code, 1);
    const j = JSON.parse(r.out);
    assert.equal(j.lab, 'failing-ping-arp');
    assert.equal(j.pass, false);
    assert.deepEqual(j.score, { earned: 7, total: 9 });
    assert.deepEqual(j.checks, { passed: 6, total: 8 });
    assert.deepEqual(j.steps.map((s: { pass: boolean }) => s.pass), [true, false, false]);
    const c = j.steps[1].checks.find((x: { id: string }) => x.id === 'arp-request');
    assert.equal(c.pass, false);
    assert.match(c.reason.en, /^expected 2 packets matching "arp" .* at lan, saw 1/);
    assert.match(c.reason.ko, /lan에서 .*패킷이 2개 있어야 하는데 1개였습니다/);
    assert.deepEqual(j.steps[1].actions, [{ kind: 'console', id: 'ping1', text: 'alice> ping -c 1 10.0.0.2', exitCode: 0 }]);
  });

  it('reports in Korean with --lang ko, and takes the default from LANG', async () => {
    const r = await pktlab('run', FAILING, '--lang', 'ko');
    assert.equal(r.code, 1);
    assert.match(r.out, /^failing-ping-arp: ping과 ARP \(시드 1\)\n/);
    assert.match(r.out, /\[2\/3\] first-ping — 첫 번째 ping: 실패\n/);
    assert.match(r.out, /  실패 arp-request  alice가 10\.0\.0\.2를 찾는 ARP 요청을 한 번 보냈다\n/);
    assert.match(r.out, /^결과: 실패 — 검사 8개 중 6개 통과, 점수 7\/9 \(77%\)\n$/m);
    assert.equal(defaultLang({ LANG: 'ko_KR.UTF-8' }), 'ko');
    assert.equal(defaultLang({ LANG: 'en_US.UTF-8', LC_ALL: 'ko_KR.UTF-8' }), 'ko');
    assert.equal(defaultLang({ LANG: 'C.UTF-8' }), 'en');
    assert.equal(defaultLang({}), 'en');
  });

  it('--seed changes the packets but not the verdict', async () => {
    const a = join(tmp, 'seed1.pcapng');
    const b = join(tmp, 'seed9.pcapng');
    assert.equal((await pktlab('run', 'labs/00-basics/02-tcp-handshake.yaml', '--pcap', a)).code, 0);
    const r = await pktlab('run', 'labs/00-basics/02-tcp-handshake.yaml', '--seed', '9', '--pcap', b);
    assert.equal(r.code, 0);
    assert.match(r.out, /\(seed 9\)/);
    assert.notDeepEqual(readFileSync(a), readFileSync(b));
  });

  it('a lab with problems prints file:line:col and exits 1', async () => {
    const r = await pktlab('run', 'test/engine/lab/fixtures/broken.yaml');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /^test\/engine\/lab\/fixtures\/broken\.yaml:\d+:\d+: /);
  });

  it('bad usage exits 2 with a clear message', async () => {
    const cases: [string[], RegExp][] = [
      [['run'], /^pktlab run: no lab file given\nUsage: pktlab run /],
      [['run', 'a.yaml', 'b.yaml'], /one LAB only \(got 'a.yaml' and 'b.yaml'\)/],
      [['run', '--seed', '-1', 'x.yaml'], /--seed needs an integer from 0 to 4294967295/],
      [['run', '--seed'], /--seed needs an integer/],
      [['run', '--lang', 'fr', 'x.yaml'], /--lang must be ko or en, got 'fr'/],
      [['run', '--pcap'], /--pcap needs a FILE/],
      [['run', '--wat', 'x.yaml'], /unknown option '--wat'/],
      [['run', '--real'], /--real needs a HOST/],
      [['frobnicate'], /'frobnicate' is not a pktlab command/],
    ];
    await assertUsageErrors('run', cases);
  });

  it('--real refuses an unknown host or a device that is not a plain host, with exit 2 (real runs: test/engine/tap/lab-real.test.ts)', async () => {
    const unknown = await pktlab('run', 'labs/00-basics/03-http.yaml', '--real', 'nope');
    assert.equal(unknown.code, 2);
    assert.equal(unknown.err, "pktlab run: the lab has no host called 'nope' (hosts: client, web)\n");
    assert.equal(unknown.out, '');
    const router = await pktlab('run', 'labs/00-basics/03-http.yaml', '--real', 'client', '--real', 'r1');
    assert.equal(router.code, 2);
    assert.equal(router.err, 'pktlab run: r1 is a router; only a plain host (kind: host) can be real (hosts: client, web)\n');
    const alteon = await pktlab('run', 'labs/ch08/08-01-l4-switch.yaml', '--real', 'alteon');
    assert.equal(alteon.code, 2);
    assert.match(alteon.err, /^pktlab run: alteon is an L4 switch \(kind: l4switch\); only a plain host \(kind: host\) can be real \(hosts: client1, real1, real2, real3\)\n$/);
    assert.match((await pktlab('run', '--help')).out, /--real HOST +make the lab host HOST real/);
  });

  it('pktlab --help lists run and exec', async () => {
    const r = await pktlab('--help');
    assert.equal(r.code, 0);
    for (const c of ['run', 'validate', 'exec', 'pcap']) assert.match(r.out, new RegExp(`^  ${c} `, 'm'));
  });
});
