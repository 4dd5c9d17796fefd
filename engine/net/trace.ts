/**
 * The trace bus: every interface reports each frame it sends or receives, so captures, the UI's packet
 * list and tests attach from outside as observers (ns-3's PcapHelper / trace sources). Nothing is built
 * per frame while no one listens.
 *
 * Frames are borrowed: a router rewrites a received frame in place when it forwards it (like a NIC's
 * DMA buffer reused by the kernel), so a listener that keeps a frame past its call must copy it.
 */
import type { Nanos } from '../sim/time.ts';
import type { Disposable } from './ip-host.ts';

export type TraceDirection = 'in' | 'out';

export interface TraceEvent {
  readonly time: Nanos;
  readonly node: string;
  readonly ifname: string;
  readonly direction: TraceDirection;
  /** The Ethernet frame (borrowed: copy it to keep it). */
  readonly frame: Uint8Array;
  /**
   * The decision about the frame, shown as the pcapng packet comment. For a received frame ('in') the
   * node fills it in while it processes the frame, right after the event is emitted (the verdict of its
   * hooks: an SLB choice, a drop and why), so a listener that keeps an 'in' event reads the note once
   * the emitting call has returned, e.g. when the next event arrives.
   */
  note?: string;
}

export type TraceListener = (e: TraceEvent) => void;

export class TraceBus {
  private listeners: TraceListener[] = [];

  /** True while anyone listens; emitters test it before building an event. */
  get active(): boolean {
    return this.listeners.length > 0;
  }

  subscribe(fn: TraceListener): Disposable {
    // Copy-on-write so a listener may unsubscribe from inside its callback.
    this.listeners = [...this.listeners, fn];
    let done = false;
    return {
      dispose: () => {
        if (done) return;
        done = true;
        this.listeners = this.listeners.filter((l) => l !== fn);
      },
    };
  }

  emit(e: TraceEvent): void {
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) ls[i]!(e);
  }
}
