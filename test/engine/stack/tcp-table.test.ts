/**
 * The TCP connection table (engine/stack/tcp-table.ts) against a plain model of what `ss` lists:
 * port groups in creation order, keys (lport, raddr, rport) in insertion order within a group, and
 * the entries of a key newest first; a key or group disappears with its last entry.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConnTable, E_LIVE, E_TIME_WAIT } from '../../../engine/stack/tcp-table.ts';

interface ModelEntry {
  readonly laddr: number;
  readonly lport: number;
  readonly raddr: number;
  readonly rport: number;
  readonly id: number;
}

class Model {
  /** port → keys → entries (newest first). */
  readonly groups = new Map<number, Map<string, ModelEntry[]>>();

  insert(e: ModelEntry): void {
    let g = this.groups.get(e.lport);
    if (g === undefined) this.groups.set(e.lport, (g = new Map()));
    const k = `${e.raddr}:${e.rport}`;
    const list = g.get(k);
    if (list === undefined) g.set(k, [e]);
    else list.unshift(e);
  }

  remove(e: ModelEntry): void {
    const g = this.groups.get(e.lport)!;
    const k = `${e.raddr}:${e.rport}`;
    const list = g.get(k)!.filter((x) => x !== e);
    if (list.length > 0) g.set(k, list);
    else {
      g.delete(k);
      if (g.size === 0) this.groups.delete(e.lport);
    }
  }

  order(): number[] {
    return [...this.groups.values()].flatMap((g) => [...g.values()].flat().map((e) => e.id));
  }
}

describe('stack/tcp-table', () => {
  it('matches the model under random inserts and removals (few keys, so chains and groups churn)', () => {
    const op = fc.record({
      add: fc.boolean(),
      laddr: fc.constantFrom(0x0a000001, 0xc0a80001, 0xfffffffe),
      lport: fc.constantFrom(80, 443, 32768, 60999, 65535),
      raddr: fc.constantFrom(0x0a000002, 0x80000000, 0xffffffff),
      rport: fc.constantFrom(1, 5000, 65535),
      pick: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const t = new ConnTable();
        const m = new Model();
        const live: ModelEntry[] = [];
        for (const o of ops) {
          if (o.add) {
            // At most one entry per 4-tuple, as in a TcpLayer.
            if (t.find(o.laddr, o.lport, o.raddr, o.rport) >= 0) continue;
            const id = t.alloc(o.laddr, o.lport, o.raddr, o.rport);
            t.setKind(id, o.pick % 2 === 0 ? E_LIVE : E_TIME_WAIT);
            t.insert(id);
            const e = { laddr: o.laddr, lport: o.lport, raddr: o.raddr, rport: o.rport, id };
            m.insert(e);
            live.push(e);
          } else if (live.length > 0) {
            const e = live.splice(o.pick % live.length, 1)[0]!;
            assert.equal(t.unlink(e.id), true);
            t.release(e.id);
            m.remove(e);
          }
          assert.equal(t.count, live.length);
        }
        assert.deepEqual([...t.ids()], m.order());
        for (const e of live) {
          assert.equal(t.find(e.laddr, e.lport, e.raddr, e.rport), e.id);
          assert.equal(t.laddrOf(e.id), e.laddr);
          assert.equal(t.lportOf(e.id), e.lport);
          assert.equal(t.raddrOf(e.id), e.raddr);
          assert.equal(t.rportOf(e.id), e.rport);
          assert.equal(t.hasPort(e.lport), true);
        }
        for (const p of [80, 443, 32768, 60999, 65535]) assert.equal(t.hasPort(p), m.groups.has(p));
      }),
      { numRuns: 300 },
    );
  });

  it('grows past its initial size and keeps every entry findable, in order', () => {
    const t = new ConnTable();
    const ids: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const id = t.alloc(0x0a000001, 32768 + (i % 1000), 0x0a000002 + Math.floor(i / 1000), 80);
      t.setKind(id, E_TIME_WAIT);
      t.setRecord(id, 0xfffffff0 + i, i, 512, 1460, 14600.5, 2e8, 1.25e6, 1, 0, 60e9 + i);
      t.insert(id);
      ids.push(id);
    }
    for (let i = 0; i < 5000; i += 2) {
      assert.equal(t.unlink(ids[i]!), true);
      t.release(ids[i]!);
    }
    assert.equal(t.count, 2500);
    for (let i = 1; i < 5000; i += 2) {
      const id = ids[i]!;
      assert.equal(t.find(0x0a000001, 32768 + (i % 1000), 0x0a000002 + Math.floor(i / 1000), 80), id);
      assert.equal(t.sndNxtOf(id), (0xfffffff0 + i) >>> 0);
      assert.equal(t.rcvNxtOf(id), i);
      assert.equal(t.cwndOf(id), 14600.5);
      assert.equal(t.atOf(id), 60e9 + i);
    }
    // Port groups in creation order; the keys of a port in insertion order, newest first within a key.
    const want = [...Array(1000).keys()].flatMap((p) => [...Array(5).keys()].map((k) => k * 1000 + p).filter((i) => i < 5000 && i % 2 === 1));
    const order = [...t.ids()].map((id) => ids.indexOf(id));
    assert.deepEqual(
      order,
      want.sort((a, b) => (a % 1000) - (b % 1000) || a - b),
    );
  });
});
