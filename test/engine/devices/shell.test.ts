import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Scheduler } from '../../../engine/sim/scheduler.ts';
import { sec } from '../../../engine/sim/time.ts';
import { Shell, getopt, glibcGetoptMessage, parseLine } from '../../../engine/devices/shell.ts';

function shell(): { sh: Shell<null>; sched: Scheduler } {
  const sched = new Scheduler();
  const sh = new Shell<null>({ device: null, sched, hostname: () => 'client1' });
  return { sh, sched };
}

function runAll(sched: Scheduler, done: () => boolean): void {
  while (!done() && sched.step()) {
    /* run */
  }
}

describe('shell', function () {
  describe('parseLine', function () {
    const ok = (line: string): string[][] => {
      const r = parseLine(line);
      if (!r.ok) assert.fail(r.message);
      return r.commands.map((c) => [c.connector, ...c.words]);
    };
    it('splits words, quotes and escapes like bash', function () {
      assert.deepEqual(ok(`curl -w '%{http_code}\\n' "a b" c\\ d e"f"g`), [[';', 'curl', '-w', '%{http_code}\\n', 'a b', 'c d', 'efg']]);
      assert.deepEqual(ok(`echo "x \\"y\\" \\$z \\q"`), [[';', 'echo', 'x "y" $z \\q']]);
      assert.deepEqual(ok(`echo ''`), [[';', 'echo', '']]);
    });
    it('drops comments and sequences with ; && ||', function () {
      assert.deepEqual(ok('a 1; b && c || d # e f'), [[';', 'a', '1'], [';', 'b'], ['&&', 'c'], ['||', 'd']]);
      assert.deepEqual(ok('a#b'), [[';', 'a#b']]);
      assert.deepEqual(ok('   # only a comment'), []);
      assert.deepEqual(ok('a;'), [[';', 'a']]);
    });
    it('answers syntax errors in bash words', function () {
      const msg = (l: string): string => {
        const r = parseLine(l);
        assert.ok(!r.ok);
        return r.ok ? '' : r.message;
      };
      assert.equal(msg(';'), "bash: syntax error near unexpected token `;'");
      assert.equal(msg('a && && b'), "bash: syntax error near unexpected token `&&'");
      assert.equal(msg('a &&'), 'bash: syntax error: unexpected end of file');
      assert.equal(msg("echo 'x"), "bash: unexpected EOF while looking for matching `''");
      assert.equal(msg('echo "x'), 'bash: unexpected EOF while looking for matching `"\'');
      assert.match(msg('ss | grep x'), /pipes \(\|\) are not supported/);
      assert.match(msg('echo x > f'), /redirection/);
    });
  });

  describe('getopt', function () {
    const specs = [
      { name: 'count', short: 'c', long: 'count', arg: true },
      { name: 'n', short: 'n' },
      { name: 't', short: 't' },
      { name: 'verbose', short: 'v', long: 'verbose' },
    ];
    it('bundles flags and takes -c4, -c 4, --count=4, --count 4', function () {
      for (const args of [['-c4'], ['-c', '4'], ['--count=4'], ['--count', '4'], ['-tnc4'], ['-tnc', '4']]) {
        const r = getopt(args, specs);
        assert.ok(r.ok);
        if (r.ok) assert.equal(r.opts.get('count'), '4', args.join(' '));
      }
      const r = getopt(['-tn', 'host', '-vv', '--', '-x'], specs);
      assert.ok(r.ok);
      if (r.ok) {
        assert.deepEqual(r.opts.operands, ['host', '-x']);
        assert.equal(r.opts.count('verbose'), 2);
        assert.ok(r.opts.has('t') && r.opts.has('n'));
      }
    });
    it('reports errors for each tool to word', function () {
      const e = (args: string[]): string => {
        const r = getopt(args, specs);
        assert.ok(!r.ok);
        return r.ok ? '' : glibcGetoptMessage('ping', r.error);
      };
      assert.equal(e(['-z']), "ping: invalid option -- 'z'");
      assert.equal(e(['-c']), "ping: option requires an argument -- 'c'");
      assert.equal(e(['--foo']), "ping: unrecognized option '--foo'");
      assert.equal(e(['--count']), "ping: option '--count' requires an argument");
      assert.equal(e(['--verbose=1']), "ping: option '--verbose' doesn't allow an argument");
    });
  });

  describe('execution', function () {
    it('unknown commands: bash: foo: command not found, exit 127', function () {
      const { sh } = shell();
      const ex = sh.exec('foo bar');
      assert.ok(ex.done);
      assert.equal(ex.exitCode, 127);
      assert.equal(ex.stderr, 'bash: foo: command not found\n');
    });
    it('sequences by exit status', function () {
      const { sh } = shell();
      const ex = sh.exec('false && echo no; echo a || echo no; false || echo b; true && echo c');
      assert.equal(ex.output, 'a\nb\nc\n');
      assert.equal(ex.exitCode, 0);
      assert.equal(sh.exec('false').exitCode, 1);
      assert.equal(sh.exec('ls |').exitCode, 2);
    });
    it('sleep runs in virtual time and Ctrl-C stops it with 130', function () {
      const { sh, sched } = shell();
      const ex = sh.exec('sleep 1.5 && echo woke');
      assert.ok(!ex.done);
      runAll(sched, () => ex.done);
      assert.equal(sched.now, sec(1.5));
      assert.equal(ex.output, 'woke\n');
      const ex2 = sh.exec('sleep 10; echo never');
      sched.runUntil(sched.now + sec(1));
      ex2.interrupt();
      assert.ok(ex2.done);
      assert.equal(ex2.exitCode, 130);
      assert.equal(ex2.output, '^C\n');
      assert.equal(sched.pending, 0, 'the sleep timer was cancelled');
    });
    it('sleep errors as coreutils', function () {
      const { sh } = shell();
      assert.equal(sh.exec('sleep x').stderr, "sleep: invalid time interval 'x'\nTry 'sleep --help' for more information.\n");
      assert.equal(sh.exec('sleep').stderr, "sleep: missing operand\nTry 'sleep --help' for more information.\n");
    });
    it('a command with an interrupt handler decides how to end', function () {
      const { sh, sched } = shell();
      sh.register({
        name: 'watch',
        summary: 'test',
        run: (ctx) => {
          let n = 0;
          const tick = (): void => {
            ctx.out(`${++n}\n`);
            ctx.after(sec(1), tick);
          };
          tick();
          ctx.onInterrupt(() => {
            ctx.out(`\nstopped after ${n}\n`);
            ctx.exit(0);
          });
        },
      });
      const ex = sh.exec('watch');
      sched.runUntil(sec(2.5));
      ex.interrupt();
      assert.equal(ex.output, '1\n2\n3\n^C\nstopped after 3\n');
      assert.equal(ex.exitCode, 0);
    });
    it('a throwing command is reported, not thrown', function () {
      const { sh } = shell();
      sh.register({
        name: 'boom',
        summary: 'x',
        run: () => {
          throw new Error('bad');
        },
      });
      const ex = sh.exec('boom; echo after');
      assert.equal(ex.output, 'boom: internal error: bad\nafter\n');
    });
    it('prompt, echo, exit, clear, help and completion', function () {
      const { sh } = shell();
      assert.equal(sh.prompt(), 'root@client1:~# ');
      assert.equal(sh.exec('echo -n a b').output, 'a b');
      assert.equal(sh.exec('clear').output, '\x1b[H\x1b[2J\x1b[3J');
      assert.match(sh.exec('help').output, /^Commands on client1:\n/);
      assert.deepEqual(sh.complete('sl'), ['sleep']);
      assert.deepEqual(sh.complete('echo x; ec'), ['echo']);
      assert.deepEqual(sh.complete('e'), ['echo', 'exit']);
      const ex = sh.exec('exit 3');
      assert.equal(ex.exitCode, 3);
      assert.ok(sh.closed);
    });
    it('never throws on random lines', function () {
      const { sh, sched } = shell();
      fc.assert(
        fc.property(fc.string({ maxLength: 80 }), (line) => {
          const ex = sh.exec(line);
          sched.runUntil(sched.now + sec(100));
          if (!ex.done) ex.interrupt();
          assert.ok(ex.done);
          assert.equal(typeof ex.exitCode, 'number');
        }),
        { numRuns: 2000 },
      );
    });
  });
});
