/** The bridge contract: every method validates its arguments; a bad call changes nothing. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BRIDGE_PREFIX, BridgeError, EVENT_NAMES, METHOD_TABLE, channelMethod, eventChannel, decodeWire, encodeWire, fromBase64, makeBridge, methodChannel, toBase64, validateCall } from '../../app/shared/bridge.ts';
import { EngineService } from '../../engine/host/service.ts';

const LABS = join(process.cwd(), 'labs');

describe('app/shared bridge contract', function () {
  it('gives every method and event a channel with the shared prefix', function () {
    assert.ok(METHOD_TABLE.size >= 30);
    for (const m of METHOD_TABLE.keys()) {
      assert.ok(methodChannel(m).startsWith(BRIDGE_PREFIX));
      assert.equal(channelMethod(methodChannel(m)), m);
    }
    for (const e of EVENT_NAMES) assert.ok(eventChannel(e).startsWith(BRIDGE_PREFIX));
    assert.equal(channelMethod('other:call:labs.list'), null);
    assert.equal(channelMethod(`${BRIDGE_PREFIX}call:nope`), null);
  });

  it('rejects bad arguments with a clear message', function () {
    const cases: [string, unknown, RegExp][] = [
      ['labs.open', [], /labs\.open: argument 1 id: expected a string/],
      ['labs.open', ['../../etc/passwd'], /expected a string matching/],
      ['labs.open', ['a', 'b'], /takes 1 argument, got 2/],
      ['consoles.exec', ['c1', 5], /argument 2 line: expected a string/],
      ['consoles.exec', ['x; rm', 'ls'], /argument 1 consoleId/],
      ['packets.rows', [0, 100000], /argument 2 count: expected an integer in 0\.\.5000/],
      ['packets.rows', [-1, 10], /argument 1 from/],
      ['timeline.setSpeed', [Number.NaN], /finite number/],
      ['timeline.stepBack', ['minute'], /one of "event", "packet"/],
      ['app.setLanguage', ['fr'], /one of "ko", "en"/],
      ['files.openCaptureBytes', ['x.pcap', 'not bytes'], /bytes/],
      ['labs.list', 'not a list', /arguments must be a list/],
    ];
    for (const [m, args, re] of cases) {
      const e = validateCall(m, args);
      assert.ok(e instanceof BridgeError, `${m} ${JSON.stringify(args)}`);
      assert.equal(e.code, 'bad-args');
      assert.match(e.message, re);
    }
    assert.equal(validateCall('nope.nope', [])?.code, 'unknown-method');
    assert.equal(validateCall('labs.open', ['08-01-l4-switch']), null);
    assert.equal(validateCall('steps.check', []), null, 'optional trailing argument');
  });

  it('rejects a bad call in the client before it reaches the transport', async function () {
    const sent: string[] = [];
    const b = makeBridge('web', (m) => (sent.push(m), Promise.resolve(null)), () => () => {});
    await assert.rejects(b.labs.open(42 as unknown as string), (e: BridgeError) => e.code === 'bad-args');
    await assert.rejects(b.consoles.exec('c1', undefined as unknown as string), /argument 2 line/);
    assert.throws(() => b.on.consoleOutput('x' as never), /callback/);
    assert.deepEqual(sent, []);
    await b.labs.list();
    assert.deepEqual(sent, ['labs.list']);
  });

  it('round-trips bytes through base64', function () {
    for (const n of [0, 1, 2, 3, 4, 255, 1000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 37) & 255);
      assert.deepEqual(fromBase64(toBase64(b)), b);
      assert.equal(toBase64(b), Buffer.from(b).toString('base64'));
    }
    assert.equal(fromBase64('%%%'), null);
  });

  it('sends bytes as binary WebSocket frames, other messages as JSON text', function () {
    assert.equal(encodeWire({ t: 'req', id: 1, method: 'labs.list', args: [] }), '{"t":"req","id":1,"method":"labs.list","args":[]}');
    const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 131) & 255);
    const msg = { t: 'req', id: 7, method: 'files.openCaptureBytes', args: ['a.pcapng', big, { b: new Uint8Array([1, 2]) }] };
    const frame = encodeWire(msg);
    assert.ok(frame instanceof Uint8Array && frame.length < big.length + 200, 'no base64 inflation');
    assert.deepEqual(decodeWire(frame), msg);
    assert.throws(() => decodeWire(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /not a pktlab binary frame/);
    // A blob reference outside the frame stays plain JSON.
    const bad = encodeWire({ x: new Uint8Array(1) }) as Uint8Array;
    assert.deepEqual(decodeWire(bad.subarray(0, bad.length - 1)), { x: { $blob: [0, 1] } });
  });

  it('leaves the engine host unchanged after a bad call', async function () {
    const events: string[] = [];
    const s = new EngineService({ labsDir: LABS, emit: (n) => void events.push(n) });
    try {
      const opened = (await s.call('labs.open', ['00-01-ping-arp'])) as { lab: { id: string } };
      assert.equal(opened.lab.id, '00-01-ping-arp');
      const c = (await s.call('consoles.open', ['alice'])) as { consoleId: string };
      const nEvents = events.length;
      await assert.rejects(s.call('labs.open', [42]), (e: BridgeError) => e.code === 'bad-args');
      await assert.rejects(s.call('consoles.exec', [c.consoleId]), (e: BridgeError) => e.code === 'bad-args');
      await assert.rejects(s.call('consoles.open', ['nobody']), (e: BridgeError) => e.code === 'not-found' && /devices: alice, bob/.test(e.message));
      await assert.rejects(s.call('labs.open', ['no-such-lab']), (e: BridgeError) => e.code === 'not-found');
      await assert.rejects(s.call('packets.setView', ['nowhere']), (e: BridgeError) => e.code === 'not-found');
      await assert.rejects(s.call('files.openCaptureBytes', ['junk.pcap', new Uint8Array([1, 2, 3, 4, 5])]), /not a pcap or pcapng/);
      assert.equal(events.length, nEvents, 'no event for a refused call');
      const cur = (await s.call('labs.current', [])) as { lab: { id: string } };
      assert.equal(cur.lab.id, '00-01-ping-arp', 'the open lab is still open');
      const t = (await s.call('timeline.state', [])) as { eventCount: number };
      assert.equal(t.eventCount, 0, 'no event ran');
      // Display filters are Wireshark's: tcpdump syntax is an error at the offending word.
      const f = (await s.call('packets.setFilter', ['tcp port'])) as { ok: boolean; error?: string; pos?: number; length?: number };
      assert.deepEqual(f, { ok: false, error: '"port" was unexpected in this context.', pos: 4, length: 4 });
      assert.deepEqual(await s.call('packets.setFilter', ['ip.addr == 10.0.0.1 && icmp']), { ok: true, shown: 0 });
    } finally {
      s.dispose();
    }
  });

  it('checks a display filter without applying it (packets.checkFilter)', async function () {
    const s = new EngineService({ labsDir: LABS, emit: () => {} });
    try {
      assert.deepEqual(await s.call('packets.checkFilter', ['tcp.port == 80 || arp']), { ok: true });
      assert.deepEqual(await s.call('packets.checkFilter', ['host 10.0.0.1']), { ok: false, error: '"host" is not a valid protocol or protocol field.', pos: 0, length: 4 });
      await s.call('labs.open', ['00-01-ping-arp']);
      const c = (await s.call('consoles.open', ['alice'])) as { consoleId: string };
      await s.call('consoles.exec', [c.consoleId, 'ping -c 1 10.0.0.2']);
      assert.deepEqual(await s.call('packets.setFilter', ['icmp']), { ok: true, shown: 2 });
      assert.deepEqual(await s.call('packets.checkFilter', ['arp']), { ok: true });
      assert.deepEqual(await s.call('packets.count', []), { total: 4, shown: 2 }, 'the applied filter stays');
      await assert.rejects(s.call('packets.checkFilter', [42]), (e: BridgeError) => e.code === 'bad-args');
    } finally {
      s.dispose();
    }
  });
});
