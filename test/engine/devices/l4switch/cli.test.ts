import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AlteonCli, dumpBlocks, renderBlocks, type SlbConfig } from '../../../../engine/devices/l4switch/index.ts';
import { ipv4 } from '../../../../engine/wire/addr.ts';
import { sec } from '../../../../engine/sim/time.ts';
import { CHAPTER_CONFIG } from './fixture.ts';
import { assertGolden } from './golden.ts';

function cliAt(t = 0): AlteonCli {
  let now = t;
  const cli = new AlteonCli({ baseMac: 0x00_03_b2_78_08_05 });
  // A clock the tests can move (dump timestamps use virtual time).
  (cli.runtime as unknown as { clock: () => number }).clock = () => now;
  (cli as unknown as { tick: (dt: number) => void }).tick = (dt) => (now += dt);
  return cli;
}

function text(c: SlbConfig): string {
  return renderBlocks(dumpBlocks(c));
}

describe('l4switch: Alteon CLI', () => {
  it('golden: navigation, prompts, help, chained and relative paths', () => {
    const cli = cliAt();
    const t = cli.execScript(
      [
        'help',
        'cfg',
        'slb',
        'real 1',
        '?',
        'up',
        '..',
        '/',
        '/c/slb/real 1/rip 10.0.0.1/ena',
        '/cfg/slb/group 1',
        'help',
        '/c/slb/virt 1/service http',
        'help',
        '..',
        'service 6800',
        '/c/slb/virt 1/service 443 https',
        '/info',
        'slb',
        '/stats/slb',
        'help',
        '/oper/slb',
        '?',
        '/',
        'c',
        'slb',
        'real',
        '7',
        '/c/slb/real 7',
      ].join('\n'),
    );
    assertGolden('navigation', t);
    assert.match(t, />> Real Server 1# /);
    assert.match(t, />> Real Server Group 1# /);
    assert.match(t, />> Virtual Server 1 http Service# /);
  });

  it('golden: pending vs applied, apply, diff, revert, save', () => {
    const cli = cliAt();
    const t = cli.execScript(
      [
        '/c/slb/real 1/rip 10.0.0.1/ena',
        '/c/slb/real 1',
        'rip',
        '10.0.0.2',
        'diff',
        '/c/d',
        'apply',
        'diff',
        '/c/slb/real 1',
        'weight 3',
        'name "web one"',
        'cur',
        'diff',
        'revert',
        'diff',
        'cur',
        'weight 3',
        '/c/d',
        'save',
        'n',
        'save',
        'y',
        'y',
        'save',
        'y',
      ].join('\n'),
    );
    assertGolden('pending-applied', t);
    assert.equal(cli.applied.reals.get(1)!.rip, ipv4('10.0.0.2'));
    assert.equal(cli.saved.reals.get(1)!.weight, 1, 'save stores the applied config, not pending changes');
    assert.equal(cli.pending.reals.get(1)!.weight, 3);
  });

  it('golden: errors print a message and change nothing', () => {
    const cli = cliAt();
    cli.execScript(CHAPTER_CONFIG + '\napply');
    const before = text(cli.pending);
    const pos = cli.prompt();
    const bad = [
      'frobnicate',
      '/c/slb/real 1/rip 1.2.3',
      '/c/slb/real 1/rip 1.2.3.4/weight 99',
      '/c/slb/real 0',
      '/c/slb/real 1024',
      '/c/slb/group 1/metric fastest',
      '/c/slb/group 1/metric phash',
      '/c/slb/group 1/health gopher',
      '/c/slb/group 1/add 9',
      '/c/slb/group 1/add 1',
      '/c/slb/group 1/rem 3',
      '/c/slb/virt 1/service gopher',
      '/c/slb/virt 1/service 65535',
      '/c/slb/virt 1/service http/rport 3',
      '/c/slb/virt 1/service http/rport 65535',
      '/c/slb/virt 1/service http/group 0',
      '/c/slb/virt 1/vip 224.0.0.1',
      '/c/slb/virt 1/ipver v6',
      '/info/slb/real 9',
      '/stats/slb/virt 9',
      '/oper/slb/dis 9',
      '/c/slb/r',
    ];
    const t = cli.execScript(bad.join('\n'));
    assertGolden('errors', t);
    for (const l of bad) {
      const ex = cli.exec(l);
      assert.equal(ex.exitCode, 1, l);
      assert.match(ex.stderr, /^Error: /, l);
      assert.equal(text(cli.pending), before, `${l} changed the pending configuration`);
    }
    assert.equal(cli.hasPendingChanges, false);
    void pos;
  });

  it('golden: apply validates the whole pending configuration, all or nothing', () => {
    const cli = cliAt();
    const t = cli.execScript(
      [
        '/c/slb on',
        '/c/slb/real 1/rip 10.0.0.1/ena',
        '/c/slb/virt 1/ena',
        '/c/slb/virt 1/service http/group 1',
        '/c/slb/group 2/add 1',
        '/c/slb/virt 2/vip 10.0.0.9/ena/service http/group 2',
        '/c/slb/virt 3/vip 10.0.0.9/ena/service 80/group 2',
        '/c/slb/real 2/rip 10.0.0.2/ena',
        '/c/slb/group 3/add 2',
        '/c/slb/real 2/del',
        'apply',
        '/c/d',
        '/c/slb/virt 1/vip 10.0.0.8',
        '/c/slb/group 1/add 1',
        '/c/slb/virt 3/del',
        '/c/slb/group 3/del',
        'apply',
        'diff',
      ].join('\n'),
    );
    assertGolden('apply-validation', t);
    assert.equal(cli.applied.virts.size, 2);
  });

  it("golden: the chapter's configuration pasted line by line, apply, /c/d, /info/slb/dump", () => {
    const cli = cliAt();
    const t = cli.execScript(CHAPTER_CONFIG);
    assert.doesNotMatch(t, /Error/);
    (cli as unknown as { tick: (dt: number) => void }).tick(sec(95));
    const t2 = cli.execScript('apply\n/c/d\n/info/slb/dump\n/c/slb/cur');
    assertGolden('chapter', t + t2);
    const d = cli.exec('/c/d').stdout;
    assert.match(d, /^script start/);
    assert.match(d, /\/\* Configuration dump taken 00:01:35 Mon Jan 1, 2024\n/);
    assert.match(d, /\/c\/slb\n\ton\n\/c\/slb\/real 1\n\tena\n\tipver v4\n\trip 92\.75\.100\.82\n/);
    assert.match(d, /\/c\/slb\/virt 2\/service 6800 basic-slb\n\tgroup 2\n\trport 18600\n/);
    // The dump pasted into a fresh switch gives the same configuration.
    const other = cliAt();
    other.execScript(d + '\napply');
    assert.equal(text(other.applied), text(cli.applied));
  });

  it('answers a value prompt on the next line and keeps the value on an empty answer', () => {
    const cli = cliAt();
    cli.execScript('/c/slb/real 1/rip 10.0.0.1');
    assert.equal(cli.exec('rip').stdout, 'Current real server IP address: 0.0.0.0\nPending new real server IP address: 10.0.0.1\n');
    assert.equal(cli.prompt(), 'Enter real server IP address: ');
    cli.exec('');
    assert.equal(cli.prompt(), '>> Real Server 1# ');
    assert.equal(cli.pending.reals.get(1)!.rip, ipv4('10.0.0.1'));
  });

  it('completes menu names, commands and values', () => {
    const cli = cliAt();
    assert.deepEqual(cli.complete('/c/slb/re'), ['real', 'revert']);
    assert.deepEqual(cli.complete('/c/s'), ['save', 'slb']);
    assert.deepEqual(cli.complete('/c/slb/group 1/me'), ['metric']);
    assert.deepEqual(cli.complete('/c/slb/group 1/metric '), ['roundrobin', 'leastconns', 'hash', 'minmisses']);
    assert.deepEqual(cli.complete('/c/slb/group 1/metric l'), ['leastconns']);
    assert.deepEqual(cli.complete('/c/slb/virt 1/service h'), ['http', 'https']);
    assert.deepEqual(cli.complete('/info/slb/'), ['apply', 'diff', 'dump', 'group', 'help', 'real', 'revert', 'save', 'up', 'virt']);
    assert.deepEqual(cli.complete('/nosuch/'), []);
    // Completion never changes anything.
    assert.equal(cli.hasPendingChanges, false);
    assert.equal(cli.prompt(), '>> Main# ');
  });

  it('fast-check: random lines never throw and never change the applied configuration', () => {
    const tokens = ['/', '/c', '/cfg', 'slb', 'real', 'group', 'virt', 'service', 'http', '6800', '1', '2', '0', '99999', 'rip', 'vip', '10.0.0.1', '1.2.3', 'ena', 'dis', 'add', 'rem', 'metric', 'roundrobin', 'hash', 'health', 'icmp', 'rport', 'del', 'cur', 'diff', 'revert', '..', 'up', '?', 'info', 'stats', 'oper', 'save', 'y', '"x y"', 'on', 'off', 'weight', '48', 'x', ''];
    const line = fc.array(fc.constantFrom(...tokens), { maxLength: 8 }).map((ws) => ws.join(fc.sample(fc.constantFrom(' ', '/'), 1)[0]!));
    fc.assert(
      fc.property(fc.array(fc.oneof(line, fc.string({ maxLength: 20 })), { maxLength: 25 }), (lines) => {
        const cli = cliAt();
        cli.execScript(CHAPTER_CONFIG + '\napply');
        const applied = text(cli.applied);
        for (const l of lines) {
          if (/^\s*apply\b|\/apply\b/.test(l)) continue;
          const ex = cli.exec(l);
          assert.ok(ex.done);
          assert.ok(ex.exitCode === 0 || ex.exitCode === 1);
          cli.complete(l);
        }
        assert.equal(text(cli.applied), applied);
      }),
      { numRuns: 300, seed: 42 },
    );
  });

  it('fast-check: a failing line leaves the pending configuration and the menu unchanged', () => {
    const tokens = ['/c/slb', 'real 1', 'group 1', 'virt 1', 'rip 10.0.0.300', 'weight 0', 'metric nope', 'add 77', 'service 0', 'bogus', 'ena', 'rip 10.0.0.5', 'vip 10.0.0.6', 'rport 2'];
    fc.assert(
      fc.property(fc.array(fc.array(fc.constantFrom(...tokens), { minLength: 1, maxLength: 5 }), { maxLength: 20 }), (lines) => {
        const cli = cliAt();
        cli.execScript(CHAPTER_CONFIG);
        for (const ws of lines) {
          const before = text(cli.pending);
          const prompt = cli.prompt();
          const ex = cli.exec(ws.join('/'));
          if (ex.exitCode !== 0) {
            assert.equal(text(cli.pending), before);
            assert.equal(cli.prompt(), prompt);
          }
        }
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
