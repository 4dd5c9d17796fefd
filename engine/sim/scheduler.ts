/**
 * The discrete-event scheduler: a binary min-heap of timers keyed by (time, insertion sequence), so
 * events at the same virtual time run in the order they were scheduled and a run is deterministic.
 *
 * Time only moves when an event runs (`step`, `runUntil`, `runUntilIdle`); nothing here reads the wall
 * clock. Real-time pacing is a separate driver (pacer.ts) over the same scheduler.
 *
 * Cancellation is lazy: a cancelled timer stays in the heap, is skipped when it reaches the top, and
 * the heap is rebuilt once cancelled entries outnumber live ones, so memory stays bounded.
 *
 * Lanes: timers scheduled with a delay declared by addLane (a protocol's fixed timeouts, and post())
 * are due in the order they are scheduled, so they wait in a FIFO per delay and only the first of
 * each lane sits in the heap. Thousands of pending TIME-WAIT timers then cost no heap depth. The
 * order of events is still exactly (time, insertion sequence).
 *
 * Light entries: a caller with very many long-lived timers of one kind (TCP TIME-WAIT records)
 * registers a callback once (lightKind) and schedules `fn(arg)` with an integer arg and a numeric
 * handle (atLight). In a lane such an entry is a few numbers in typed arrays, not a Timer object;
 * when it reaches the head of its lane, the lane's one reusable proxy Timer stands for it in the heap.
 * Light entries run, count and cancel exactly like timers.
 *
 * Error contract: scheduling in the past, at a non-integer time or beyond MAX_NANOS throws RangeError
 * (a programmer error). An exception from an event callback propagates out of step/run; that event
 * counts as run and the scheduler stays consistent, so the caller may continue.
 */
import { formatDuration, MAX_NANOS, type Nanos } from './time.ts';

/** An event callback. */
export type EventFn = () => void;

/** Observer called just before each event runs (the UI records it for deterministic replay). */
export type EventHook = (label: string | undefined, time: Nanos) => void;

const PENDING = 0;
const DONE = 1;
const CANCELLED = 2;
/** State of an unused light entry. */
const FREE = 3;

const INITIAL_CAPACITY = 256;
/** Position of heap entry 0 in the array: entry i's children 2i+1, 2i+2 then share 32 aligned bytes. */
const OFF = 1;

/** A scheduled event. Cancelling it (or disposing it) before it runs stops it from running. */
export class Timer {
  /** @internal */ fn: EventFn | null;
  /** @internal */ state: number = PENDING;
  /** @internal Argument for a post() callback. */ arg: unknown = undefined;
  /** @internal Made by post(): nobody holds it, so it is reused once run. */ pooled = false;
  /** @internal The lane it waits in, if any. */ lane: Lane | null = null;

  /** @internal Made only by Scheduler.at/after. */
  constructor(
    private readonly owner: Scheduler,
    /** Virtual time the event runs at. */
    readonly time: Nanos,
    /** @internal Insertion sequence: breaks ties between equal times. */
    readonly seq: number,
    fn: EventFn,
    /** Name shown in traces and by peekLabel, e.g. 'tcp-rto h1:49152'. */
    readonly label: string | undefined,
  ) {
    this.fn = fn;
  }

  /** True while the event is scheduled: not yet run and not cancelled. */
  get active(): boolean {
    return this.state === PENDING;
  }

  /** Stops the event from running. Idempotent; a no-op once it has run. */
  cancel(): void {
    if (this.state !== PENDING) return;
    this.state = CANCELLED;
    this.fn = null; // release the closure now, not when the entry leaves the heap
    this.arg = undefined;
    this.owner.noteCancelled(this);
  }

  /** Same as cancel(), so a timer can be registered in a DisposableStore. */
  dispose(): void {
    this.cancel();
  }
}

const LANE_INITIAL = 16;
const LIGHT_INITIAL = 64;
/** A light handle is gen * LIGHT_SPAN + index, so a stale handle never matches a reused entry. */
const LIGHT_SPAN = 0x1000000;

/**
 * Timers of one delay, in scheduling order, which is (time, seq) order since time only moves forward.
 * Only `rep`, the first live one, is in the heap; the rest wait in a ring.
 */
class Lane {
  rep: Timer | null = null;
  /** Timers, or the index of a light entry. */
  ring: (Timer | number | undefined)[] = new Array<Timer | number | undefined>(LANE_INITIAL).fill(undefined);
  head = 0;
  /** Timers in the ring (not counting rep), live or cancelled. */
  n = 0;
  /** Cancelled timers in the ring. */
  dead = 0;
  /** Stands for the light entry that is the lane's first (only one at a time is in the heap). */
  proxy: Timer | null = null;
  constructor(readonly index: number) {}
}

export class Scheduler {
  // The heap lives in one typed array: entry i at h[2*(i+OFF)..] is (time, slot); its timer is
  // slots[slot] and its insertion sequence sq[slot] (read only on equal times). Sifting moves only
  // numbers (storing object pointers at every level would cost a GC write barrier per move); an entry
  // is 16 bytes, so both children of a node share half a cache line and 10k entries sit in 160 KB.
  private h = new Float64Array((INITIAL_CAPACITY + OFF + 2) * 2);
  private sq = new Float64Array(INITIAL_CAPACITY);
  private readonly slots: (Timer | undefined)[] = new Array<Timer | undefined>(INITIAL_CAPACITY).fill(undefined);
  private free = Int32Array.from({ length: INITIAL_CAPACITY }, (_, i) => INITIAL_CAPACITY - 1 - i);
  private freeTop = INITIAL_CAPACITY;
  private size = 0;
  private nowNs: Nanos = 0;
  private seq = 0;
  private cancelledInHeap = 0;
  private ran = 0;
  private inRun = false;
  /** Run post() timers, ready for reuse. */
  private pool: Timer[] = [];
  /** Delay → lane, once addLane was called. */
  private lanes: Map<number, Lane> | null = null;
  private readonly laneList: Lane[] = [];
  /** post() timers: always at the current time. */
  private readonly nowLane: Lane;
  /** Timers in lane rings, and how many of them are cancelled. */
  private laneStored = 0;
  private laneDead = 0;
  /** Light entries (see the file comment), by index; lState is FREE for an unused index. */
  private lTime = new Float64Array(LIGHT_INITIAL);
  private lSeq = new Float64Array(LIGHT_INITIAL);
  private lArg = new Int32Array(LIGHT_INITIAL);
  private lKind = new Int32Array(LIGHT_INITIAL);
  private lLane = new Int32Array(LIGHT_INITIAL);
  private lGen = new Int32Array(LIGHT_INITIAL);
  private lState = new Uint8Array(LIGHT_INITIAL).fill(FREE);
  /** The Timer standing for an entry while one does (in the heap, or a converted timer anywhere). */
  private lProxy: (Timer | null)[] = new Array<Timer | null>(LIGHT_INITIAL).fill(null);
  private lFree = Int32Array.from({ length: LIGHT_INITIAL }, (_, i) => LIGHT_INITIAL - 1 - i);
  private lFreeTop = LIGHT_INITIAL;
  private readonly kindFns: ((arg: number) => void)[] = [];
  private readonly kindLabels: (string | undefined)[] = [];
  /** Proxy callback: frees the light entry, then runs its kind's callback. */
  private readonly runLight = (i: number): void => {
    const fn = this.kindFns[this.lKind[i] as number] as (arg: number) => void;
    const arg = this.lArg[i] as number;
    this.freeLight(i);
    fn(arg);
  };

  constructor() {
    this.nowLane = new Lane(0);
    this.laneList.push(this.nowLane);
  }

  /** Called before each event runs, with its label and time. */
  onEvent?: EventHook;

  /** Current virtual time. */
  get now(): Nanos {
    return this.nowNs;
  }

  /** Number of live (scheduled, not cancelled) events. */
  get pending(): number {
    return this.size - this.cancelledInHeap + this.laneStored - this.laneDead;
  }

  /** True while step/runUntil/runUntilIdle is executing (i.e. inside an event callback). */
  get running(): boolean {
    return this.inRun;
  }

  /** Number of events run so far (including one whose callback threw). */
  get eventCount(): number {
    return this.ran;
  }

  /** Schedules `fn` at virtual time `t` (>= now). */
  at(t: Nanos, fn: EventFn, label?: string): Timer {
    // One combined test keeps the common path cheap; NaN fails `t === Math.floor(t)`.
    if (t < this.nowNs || t > MAX_NANOS || t !== Math.floor(t)) this.badTime(t);
    const timer = new Timer(this, t, this.seq++, fn, label);
    this.insert(timer, t);
    return timer;
  }

  /**
   * @internal Like at(), but runs `fn(arg)`, so a caller with one callback for many objects
   * allocates no closure. A `reuse` timer that has already run (and that only the caller holds) is
   * scheduled again instead of allocating a new one.
   */
  atWith<A>(t: Nanos, fn: (arg: A) => void, arg: A, label: string | undefined, reuse: Timer | null): Timer {
    if (t < this.nowNs || t > MAX_NANOS || t !== Math.floor(t)) this.badTime(t);
    let timer: Timer;
    if (reuse !== null && reuse.state === DONE && !reuse.pooled) {
      timer = reuse;
      const w = timer as unknown as { time: Nanos; seq: number; label: string | undefined };
      w.time = t;
      w.seq = this.seq++;
      w.label = label;
      timer.fn = fn as EventFn;
      timer.state = PENDING;
      timer.lane = null;
    } else timer = new Timer(this, t, this.seq++, fn as EventFn, label);
    timer.arg = arg;
    this.insert(timer, t);
    return timer;
  }

  /**
   * @internal Declares a delay that many timers use (a protocol's fixed timeout): timers scheduled
   * exactly that far ahead wait in a FIFO lane rather than in the heap. Only speed changes.
   */
  addLane(delay: Nanos): void {
    if (!(delay > 0) || delay !== Math.floor(delay)) return;
    let lanes = this.lanes;
    if (lanes === null) {
      lanes = this.lanes = new Map<number, Lane>();
      lanes.set(0, this.nowLane);
    }
    if (lanes.has(delay)) return;
    const lane = new Lane(this.laneList.length);
    lanes.set(delay, lane);
    this.laneList.push(lane);
  }

  /**
   * @internal Schedules `fn(arg)` at the current time, exactly as `after(0, ...)` would order it, with
   * no handle: the timer is recycled once run, so a deferred callback allocates nothing.
   */
  post<A>(fn: (arg: A) => void, arg: A, label?: string): void {
    let timer = this.pool.pop();
    if (timer === undefined) {
      timer = new Timer(this, this.nowNs, this.seq++, fn as EventFn, label);
      timer.pooled = true;
      timer.lane = this.nowLane;
    } else {
      const w = timer as unknown as { time: Nanos; seq: number; label: string | undefined };
      w.time = this.nowNs;
      w.seq = this.seq++;
      w.label = label;
      timer.fn = fn as EventFn;
      timer.state = PENDING;
    }
    timer.arg = arg;
    this.toLane(this.nowLane, timer);
  }

  /** @internal Registers the callback of a kind of light entries; returns the kind for atLight. */
  lightKind(fn: (arg: number) => void, label: string | undefined): number {
    this.kindFns.push(fn);
    this.kindLabels.push(label);
    return this.kindFns.length - 1;
  }

  /**
   * @internal Like atWith(t, fn, arg) for a registered kind and an integer arg, without a Timer
   * object when `t - now` is a lane's delay. Returns a handle for cancelLight/lightTime.
   */
  atLight(t: Nanos, kind: number, arg: number): number {
    if (t < this.nowNs || t > MAX_NANOS || t !== Math.floor(t)) this.badTime(t);
    const i = this.allocLight(t, this.seq++, kind, arg);
    const lane = this.lanes === null ? undefined : this.lanes.get(t - this.nowNs);
    if (lane === undefined) {
      const timer = new Timer(this, t, this.lSeq[i] as number, this.runLight as EventFn, this.kindLabels[kind]);
      timer.arg = i;
      this.lProxy[i] = timer;
      this.push(timer);
    } else if (lane.rep === null) this.lightToHeap(lane, i);
    else this.toRing(lane, i);
    return this.handleOf(i);
  }

  /**
   * @internal Turns a pending timer into a light entry of `kind` at the same (time, seq) place; the
   * caller drops the timer. Where the timer waits in a lane ring near its tail (the usual case: it was
   * armed moments ago) the Timer object is released; otherwise it stays, calling the light entry.
   */
  lighten(timer: Timer, kind: number, arg: number): number {
    const i = this.allocLight(timer.time, timer.seq, kind, arg);
    const lane = timer.lane;
    if (lane !== null && lane.rep !== timer && timer.state === PENDING) {
      const ring = lane.ring;
      const mask = ring.length - 1;
      for (let k = lane.n - 1, stop = Math.max(0, lane.n - 8); k >= stop; k--) {
        const j = (lane.head + k) & mask;
        if (ring[j] !== timer) continue;
        ring[j] = i;
        this.lLane[i] = lane.index;
        timer.state = DONE;
        timer.fn = null;
        timer.arg = undefined;
        timer.lane = null;
        return this.handleOf(i);
      }
    }
    timer.fn = this.runLight as EventFn;
    timer.arg = i;
    this.lProxy[i] = timer;
    return this.handleOf(i);
  }

  /** @internal True while the entry of `handle` is scheduled. */
  lightActive(handle: number): boolean {
    const i = handle % LIGHT_SPAN;
    return this.lGen[i] === (handle - i) / LIGHT_SPAN && this.lState[i] === PENDING;
  }

  /** @internal Time the entry of `handle` runs at (meaningful while lightActive). */
  lightTime(handle: number): Nanos {
    return this.lTime[handle % LIGHT_SPAN] as number;
  }

  /** @internal Timer.cancel() for a light entry; a no-op once it has run or been cancelled. */
  cancelLight(handle: number): void {
    if (!this.lightActive(handle)) return;
    const i = handle % LIGHT_SPAN;
    const proxy = this.lProxy[i] as Timer | null;
    if (proxy !== null) {
      proxy.cancel();
      this.freeLight(i);
      return;
    }
    // Waiting in a ring: it stays there, cancelled, until the ring drops it.
    this.lState[i] = CANCELLED;
    const lane = this.laneList[this.lLane[i] as number] as Lane;
    lane.dead++;
    this.laneDead++;
    if (lane.dead > lane.n >>> 1 && lane.n >= 32) this.compactLane(lane);
  }

  /** Schedules `fn` after `dt` nanoseconds (>= 0) from now. */
  after(dt: Nanos, fn: EventFn, label?: string): Timer {
    if (!(dt >= 0)) throw new RangeError(`Scheduler.after: delay must be >= 0 ns, got ${dt}`);
    return this.at(this.nowNs + dt, fn, label);
  }

  /** Time of the next live event, or undefined when none is scheduled. */
  nextEventTime(): Nanos | undefined {
    const top = this.top();
    return top === undefined ? undefined : top.time;
  }

  /** Label of the next live event (undefined when none is scheduled or it has no label). */
  peekLabel(): string | undefined {
    return this.top()?.label;
  }

  /** Runs exactly one event, advancing now to its time. Returns false when nothing is scheduled. */
  step(): boolean {
    this.enter('step');
    try {
      const timer = this.top();
      if (timer === undefined) return false;
      this.runTop(timer);
      return true;
    } finally {
      this.inRun = false;
    }
  }

  /**
   * Runs every event with time <= t (including events those events schedule), then sets now = t.
   * Throws if more than `maxEvents` would run (the events run so far stay run). Returns the count run.
   */
  runUntil(t: Nanos, maxEvents: number = Infinity): number {
    if (!(t >= this.nowNs) || t > MAX_NANOS) {
      throw new RangeError(`Scheduler.runUntil(${t}): target must lie in [now=${this.nowNs}, ${MAX_NANOS}]`);
    }
    this.enter('runUntil');
    let n = 0;
    try {
      for (;;) {
        const timer = this.top();
        if (timer === undefined || timer.time > t) break;
        if (n >= maxEvents) this.runaway('runUntil', maxEvents);
        n++;
        this.runTop(timer);
      }
      this.nowNs = t;
    } finally {
      this.inRun = false;
    }
    return n;
  }

  /**
   * Runs until no event is left. Throws once `maxEvents` have run and more remain: a timer that keeps
   * rescheduling itself would otherwise never return. Returns the count run.
   */
  runUntilIdle(maxEvents: number = 10_000_000): number {
    this.enter('runUntilIdle');
    let n = 0;
    try {
      for (;;) {
        const timer = this.top();
        if (timer === undefined) break;
        if (n >= maxEvents) this.runaway('runUntilIdle', maxEvents);
        n++;
        this.runTop(timer);
      }
    } finally {
      this.inRun = false;
    }
    return n;
  }

  /** Cancels every scheduled event. Time and the event count are kept. */
  cancelAll(): void {
    for (let i = 0; i < this.size; i++) {
      const slot = this.h[(i + OFF) * 2 + 1] as number;
      const timer = this.slots[slot] as Timer;
      timer.state = CANCELLED;
      timer.fn = null;
      timer.arg = undefined;
      this.slots[slot] = undefined;
      this.free[this.freeTop++] = slot;
    }
    this.size = 0;
    this.cancelledInHeap = 0;
    for (const lane of this.laneList) {
      const ring = lane.ring;
      const mask = ring.length - 1;
      for (let k = 0; k < lane.n; k++) {
        const j = (lane.head + k) & mask;
        const timer = ring[j] as Timer | number;
        ring[j] = undefined;
        if (typeof timer === 'number') {
          this.freeLight(timer);
          continue;
        }
        timer.state = CANCELLED;
        timer.fn = null;
        timer.arg = undefined;
      }
      lane.rep = null;
      lane.head = 0;
      lane.n = 0;
      lane.dead = 0;
    }
    this.laneStored = 0;
    this.laneDead = 0;
    // Entries whose proxies were just cancelled in the heap.
    for (let i = 0; i < this.lState.length; i++) if (this.lState[i] !== FREE) this.freeLight(i);
  }

  /** Same as cancelAll(), so a scheduler can be registered in a DisposableStore. */
  dispose(): void {
    this.cancelAll();
  }

  /** @internal Called by Timer.cancel. */
  noteCancelled(timer: Timer): void {
    const lane = timer.lane;
    if (lane !== null && lane.rep !== timer) {
      lane.dead++;
      this.laneDead++;
      if (lane.dead > lane.n >>> 1 && lane.n >= 32) this.compactLane(lane);
      return;
    }
    this.cancelledInHeap++;
    // Rebuild once dead entries are the majority; amortised O(1) per cancel.
    if (this.cancelledInHeap > this.size >>> 1 && this.size >= 32) this.compact();
  }

  // --- internals -------------------------------------------------------------------------------------

  /** Pops and runs `timer`, which top() has just returned. */
  private runTop(timer: Timer): void {
    this.pop();
    const fn = timer.fn as (a: unknown) => void;
    const arg = timer.arg;
    const time = timer.time;
    const label = timer.label;
    timer.state = DONE;
    timer.fn = null;
    timer.arg = undefined;
    // After the reads above: advance may refill the timer when it is a lane's proxy.
    if (timer.lane !== null) this.advance(timer.lane);
    this.nowNs = time;
    this.ran++;
    if (this.onEvent !== undefined) this.onEvent(label, time);
    if (timer.pooled && this.pool.length < 256) this.pool.push(timer);
    fn(arg);
  }

  /** The next live timer, discarding cancelled entries that have reached the top. */
  private top(): Timer | undefined {
    while (this.size > 0) {
      const t = this.slots[this.h[OFF * 2 + 1] as number] as Timer;
      if (t.state === PENDING) return t;
      this.pop();
      this.cancelledInHeap--;
      if (t.lane !== null) this.advance(t.lane);
    }
    return undefined;
  }

  /** Puts a new timer in its delay's lane, or in the heap. */
  private insert(timer: Timer, t: Nanos): void {
    const lanes = this.lanes;
    if (lanes !== null) {
      const lane = lanes.get(t - this.nowNs);
      if (lane !== undefined) {
        this.toLane(lane, timer);
        return;
      }
    }
    this.push(timer);
  }

  /** Queues `timer` in `lane`; the heap gets it when it is the lane's first. */
  private toLane(lane: Lane, timer: Timer): void {
    timer.lane = lane;
    if (lane.rep === null) {
      lane.rep = timer;
      this.push(timer);
      return;
    }
    this.toRing(lane, timer);
  }

  private toRing(lane: Lane, x: Timer | number): void {
    let ring = lane.ring;
    if (lane.n === ring.length) ring = this.growLane(lane);
    ring[(lane.head + lane.n) & (ring.length - 1)] = x;
    lane.n++;
    this.laneStored++;
    if (typeof x === 'number') this.lLane[x] = lane.index;
  }

  /** Makes light entry `i` the lane's first, in the heap through the lane's proxy. */
  private lightToHeap(lane: Lane, i: number): void {
    let p = lane.proxy;
    const w = p as unknown as { time: Nanos; seq: number; label: string | undefined };
    const label = this.kindLabels[this.lKind[i] as number];
    if (p === null) {
      p = lane.proxy = new Timer(this, this.lTime[i] as number, this.lSeq[i] as number, this.runLight as EventFn, label);
    } else {
      w.time = this.lTime[i] as number;
      w.seq = this.lSeq[i] as number;
      w.label = label;
      p.fn = this.runLight as EventFn;
      p.state = PENDING;
    }
    p.arg = i;
    p.lane = lane;
    this.lProxy[i] = p;
    lane.rep = p;
    this.push(p);
  }

  private allocLight(t: Nanos, seq: number, kind: number, arg: number): number {
    if (this.lFreeTop === 0) this.growLight();
    const i = this.lFree[--this.lFreeTop] as number;
    this.lTime[i] = t;
    this.lSeq[i] = seq;
    this.lKind[i] = kind;
    this.lArg[i] = arg;
    this.lState[i] = PENDING;
    return i;
  }

  private freeLight(i: number): void {
    this.lState[i] = FREE;
    this.lProxy[i] = null;
    this.lGen[i] = ((this.lGen[i] as number) + 1) & 0xfffffff;
    this.lFree[this.lFreeTop++] = i;
  }

  private handleOf(i: number): number {
    return (this.lGen[i] as number) * LIGHT_SPAN + i;
  }

  private growLight(): void {
    const old = this.lState.length;
    const cap = old * 2;
    const f64 = (a: Float64Array): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(cap);
      b.set(a);
      return b;
    };
    const i32 = (a: Int32Array): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.lTime = f64(this.lTime);
    this.lSeq = f64(this.lSeq);
    this.lArg = i32(this.lArg);
    this.lKind = i32(this.lKind);
    this.lLane = i32(this.lLane);
    this.lGen = i32(this.lGen);
    const st = new Uint8Array(cap).fill(FREE);
    st.set(this.lState);
    this.lState = st;
    this.lProxy.length = cap;
    this.lProxy.fill(null, old);
    const free = new Int32Array(cap);
    for (let i = cap - 1; i >= old; i--) free[this.lFreeTop++] = i;
    this.lFree = free;
  }

  /** The lane's representative left the heap: the next live timer of the lane takes its place. */
  private advance(lane: Lane): void {
    const ring = lane.ring;
    const mask = ring.length - 1;
    let next: Timer | null = null;
    while (lane.n > 0) {
      const h = lane.head;
      const t = ring[h] as Timer | number;
      ring[h] = undefined;
      lane.head = (h + 1) & mask;
      lane.n--;
      this.laneStored--;
      if (typeof t === 'number') {
        if (this.lState[t] === PENDING) {
          this.lightToHeap(lane, t);
          return;
        }
        this.freeLight(t);
      } else if (t.state === PENDING) {
        next = t;
        break;
      }
      lane.dead--;
      this.laneDead--;
    }
    lane.rep = next;
    if (next !== null) this.push(next);
  }

  private growLane(lane: Lane): (Timer | number | undefined)[] {
    const old = lane.ring;
    const mask = old.length - 1;
    const ring = new Array<Timer | number | undefined>(old.length * 2).fill(undefined);
    for (let k = 0; k < lane.n; k++) ring[k] = old[(lane.head + k) & mask];
    lane.ring = ring;
    lane.head = 0;
    return ring;
  }

  /** Drops a lane's cancelled timers, keeping the order of the rest. */
  private compactLane(lane: Lane): void {
    const ring = lane.ring;
    const mask = ring.length - 1;
    let w = 0;
    for (let k = 0; k < lane.n; k++) {
      const j = (lane.head + k) & mask;
      const t = ring[j] as Timer | number;
      ring[j] = undefined;
      if (typeof t === 'number') {
        if (this.lState[t] === PENDING) ring[(lane.head + w++) & mask] = t;
        else this.freeLight(t);
      } else if (t.state === PENDING) ring[(lane.head + w++) & mask] = t;
    }
    this.laneStored -= lane.n - w;
    this.laneDead -= lane.dead;
    lane.n = w;
    lane.dead = 0;
  }

  private push(timer: Timer): void {
    if (this.size === this.slots.length) this.grow();
    const slot = this.free[--this.freeTop] as number;
    this.slots[slot] = timer;
    const seq = timer.seq;
    this.sq[slot] = seq;
    const i = this.size++;
    this.siftUp(timer.time, seq, slot, i);
  }

  /** Places (time, seq, slot) at hole `i` or above it, moving larger parents down. */
  private siftUp(time: Nanos, seq: number, slot: number, i: number): void {
    const h = this.h;
    const sq = this.sq;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pk = (p + OFF) * 2;
      const pt = h[pk] as number;
      if (pt < time) break;
      const ps = h[pk + 1] as number;
      if (pt === time && (sq[ps] as number) < seq) break;
      const ik = (i + OFF) * 2;
      h[ik] = pt;
      h[ik + 1] = ps;
      i = p;
    }
    const ik = (i + OFF) * 2;
    h[ik] = time;
    h[ik + 1] = slot;
  }

  /** Removes the root entry. */
  private pop(): void {
    const h = this.h;
    const sq = this.sq;
    const root = h[OFF * 2 + 1] as number;
    this.slots[root] = undefined;
    this.free[this.freeTop++] = root;
    const n = --this.size;
    if (n === 0) return;
    // Bottom-up pop: walk the hole down to a leaf along the smallest child, then sift the former
    // last entry up from there. The last entry is usually late, so it settles near the bottom.
    const lk = (n + OFF) * 2;
    const time = h[lk] as number;
    const slot = h[lk + 1] as number;
    // The entry at n (the one just taken as last) is ignored as a child below: its time is set to
    // Infinity so a lone left child never loses to it and the child choice needs no bounds test.
    h[lk] = Infinity;
    let i = 0;
    for (;;) {
      const c = 2 * i + 1;
      if (c >= n) break;
      let k = (c + OFF) * 2;
      const ct = h[k] as number;
      const rt = h[k + 2] as number;
      // Pick the smaller child without a data-dependent branch (a coin flip for the predictor);
      // equal times, which need the sequence, are rare enough to branch on.
      if (rt === ct) {
        if ((sq[h[k + 3] as number] as number) < (sq[h[k + 1] as number] as number)) k += 2;
      } else {
        k += 2 * +(rt < ct);
      }
      const ik = (i + OFF) * 2;
      h[ik] = h[k] as number;
      h[ik + 1] = h[k + 1] as number;
      i = (k >> 1) - OFF;
    }
    this.siftUp(time, sq[slot] as number, slot, i);
  }

  /** Places the entry (time, seq, slot) at hole `i`, moving smaller children up (`n` entries). */
  private siftDown(time: Nanos, seq: number, slot: number, i: number, n: number): void {
    const h = this.h;
    const sq = this.sq;
    const half = n >>> 1;
    while (i < half) {
      let c = 2 * i + 1;
      let ck = (c + OFF) * 2;
      let ct = h[ck] as number;
      let cs = sq[h[ck + 1] as number] as number;
      const r = c + 1;
      if (r < n) {
        const rk = ck + 2;
        const rt = h[rk] as number;
        const rs = sq[h[rk + 1] as number] as number;
        if (rt < ct || (rt === ct && rs < cs)) {
          c = r;
          ck = rk;
          ct = rt;
          cs = rs;
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      const ik = (i + OFF) * 2;
      h[ik] = ct;
      h[ik + 1] = h[ck + 1] as number;
      i = c;
    }
    const ik = (i + OFF) * 2;
    h[ik] = time;
    h[ik + 1] = slot;
  }

  private grow(): void {
    const old = this.slots.length;
    const cap = old * 2;
    const h = new Float64Array((cap + OFF + 2) * 2);
    const sq = new Float64Array(cap);
    const free = new Int32Array(cap);
    h.set(this.h);
    sq.set(this.sq);
    free.set(this.free.subarray(0, this.freeTop));
    for (let id = cap - 1; id >= old; id--) free[this.freeTop++] = id;
    this.h = h;
    this.sq = sq;
    this.free = free;
    this.slots.length = cap;
    this.slots.fill(undefined, old);
  }

  /** Drops cancelled entries and re-heapifies (Floyd's bottom-up build, O(n)). */
  private compact(): void {
    const { h, slots, sq } = this;
    let w = 0;
    let orphans: Lane[] | null = null;
    for (let r = 0; r < this.size; r++) {
      const rk = (r + OFF) * 2;
      const slot = h[rk + 1] as number;
      const t = slots[slot] as Timer;
      if (t.state === PENDING) {
        const wk = (w + OFF) * 2;
        h[wk] = h[rk] as number;
        h[wk + 1] = slot;
        w++;
      } else {
        slots[slot] = undefined;
        this.free[this.freeTop++] = slot;
        if (t.lane !== null) (orphans ??= []).push(t.lane);
      }
    }
    this.size = w;
    this.cancelledInHeap = 0;
    for (let i = (w >>> 1) - 1; i >= 0; i--) {
      const ik = (i + OFF) * 2;
      const slot = h[ik + 1] as number;
      this.siftDown(h[ik] as number, sq[slot] as number, slot, i, w);
    }
    // A lane whose first timer was dropped hands its next one to the heap.
    if (orphans !== null) for (const lane of orphans) this.advance(lane);
  }

  private enter(what: string): void {
    if (this.inRun) {
      throw new Error(`Scheduler.${what} called from inside an event callback: schedule an event instead`);
    }
    this.inRun = true;
  }

  private badTime(t: Nanos): never {
    if (Number.isNaN(t) || (Number.isFinite(t) && t !== Math.floor(t))) {
      throw new RangeError(`Scheduler: time must be an integer number of nanoseconds, got ${t}`);
    }
    if (t > MAX_NANOS) {
      throw new RangeError(`Scheduler: time ${t} ns is beyond the largest exact virtual time ${MAX_NANOS} ns (~104 days)`);
    }
    throw new RangeError(`Scheduler: cannot schedule in the past (t=${t} ns, now=${this.nowNs} ns)`);
  }

  private runaway(what: string, maxEvents: number): never {
    const label = this.peekLabel();
    throw new Error(
      `Scheduler.${what}: ran ${maxEvents} events and more remain (now ${formatDuration(this.nowNs)}, next ` +
        `${label === undefined ? 'an unlabelled event' : `"${label}"`}); a timer probably reschedules itself forever`,
    );
  }
}
