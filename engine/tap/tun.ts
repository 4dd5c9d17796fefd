/**
 * A Linux TAP device through koffi: open('/dev/net/tun'), ioctl(TUNSETIFF, IFF_TAP | IFF_NO_PI), then
 * whole Ethernet frames are read and written on the fd, one frame per read()/write().
 *
 * Not blocking the event loop: the fd is opened O_NONBLOCK and watched with koffi's `node.poll`, a
 * libuv uv_poll handle (epoll) on the main loop. When the kernel has frames the callback reads them
 * with non-blocking read() until EAGAIN (at most `readBudget` per wake-up, so a flood cannot starve
 * the loop; uv_poll is level-triggered and calls again). Writes are non-blocking write() calls: a TAP
 * write hands the frame to the kernel's receive path at once and never waits. No worker threads and no
 * timers are involved, so an idle TAP costs nothing.
 *
 * The device is not persistent (no TUNSETPERSIST): the kernel deletes it when the fd closes, so even
 * a killed process leaves no TAP behind. The fd is O_CLOEXEC so commands spawned later never hold it.
 *
 * koffi is imported lazily, on the first openTap(), so the rest of pktlab runs where it is missing.
 * Errors are TapError with a message a user can act on; a read or write error on an open device is
 * counted, never thrown.
 */
import { constants as osConstants } from 'node:os';

/** Linux ABI numbers (identical on x86_64 and aarch64). */
const O_RDWR = 0o2;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
/** _IOW('T', 202, int) */
const TUNSETIFF = 0x400454ca;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
/** struct ifreq: char ifr_name[IFNAMSIZ = 16]; short ifr_flags; union padding to 40 bytes. */
const IFREQ_SIZE = 40;
export const IFNAMSIZ = 16;

const EAGAIN = 11;
const EINTR = 4;

export class TapError extends Error {
  constructor(
    message: string,
    /** errno name ('EPERM', 'EACCES', 'ENOENT', ...) when a system call failed. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'TapError';
  }
}

export function errnoName(n: number): string {
  for (const [k, v] of Object.entries(osConstants.errno)) if (v === n) return k;
  return `errno ${n}`;
}

/** Interface names the kernel accepts: 1..15 bytes, no '/', ':' or whitespace. */
export function isValidIfName(name: string): boolean {
  return /^[A-Za-z0-9_.\-]{1,15}$/.test(name) && name !== '.' && name !== '..';
}

export class TapCounters {
  /** Frames and bytes read from the kernel (sent by the real host). */
  rxFrames = 0;
  rxBytes = 0;
  /** Frames and bytes written to the kernel (received by the real host). */
  txFrames = 0;
  txBytes = 0;
  /** read() failures other than EAGAIN. */
  rxErrors = 0;
  /** write() failures (EIO while the device is down, ...), by errno name. */
  txErrors = 0;
  readonly errors = new Map<string, number>();

  /** @internal */
  error(name: string): void {
    this.errors.set(name, (this.errors.get(name) ?? 0) + 1);
  }
}

export interface TapOpenOptions {
  /** Device name (≤ 15 chars); a '%d' in it lets the kernel pick a number. Default 'pktlab%d'. */
  readonly name?: string;
  /** Most frames read per poll wake-up before yielding to the event loop; default 256. */
  readonly readBudget?: number;
}

export type FrameHandler = (frame: Uint8Array) => void;

/** An open TAP device. */
export interface TapDevice {
  /** The name the kernel gave the device (in the namespace it was created in). */
  readonly name: string;
  readonly fd: number;
  readonly counters: TapCounters;
  readonly closed: boolean;
  /**
   * Starts delivering frames the kernel sends (each a fresh Uint8Array the handler owns). A second call
   * replaces the handler. Handler exceptions are not caught here: callers must not throw.
   */
  onFrame(handler: FrameHandler): void;
  /** Writes one frame to the kernel; false (and counted) when the kernel refused it. Never throws. */
  write(frame: Uint8Array): boolean;
  /** Stops polling and closes the fd (the kernel then deletes the device). Idempotent. */
  close(): void;
}

// --- libc through koffi, loaded once on first use -----------------------------------------------------

interface PollHandle {
  close(): void;
  unref(): void;
}

interface Libc {
  open(path: string, flags: number): number;
  ioctl(fd: number, req: number, arg: Uint8Array): number;
  read(fd: number, buf: Uint8Array, n: number): number;
  write(fd: number, buf: Uint8Array, n: number): number;
  close(fd: number): number;
  errno(): number;
  poll(fd: number, cb: (status: number) => void): PollHandle;
}

let libcPromise: Promise<Libc> | null = null;

function loadLibc(): Promise<Libc> {
  libcPromise ??= (async (): Promise<Libc> => {
    if (process.platform !== 'linux') {
      throw new TapError(`pktlab: TAP devices and real hosts need Linux (this system is ${process.platform}); the rest of pktlab works without them`, 'ENOTSUP');
    }
    let koffi: typeof import('koffi');
    try {
      const m = (await import('koffi')) as unknown as { default?: typeof import('koffi') };
      koffi = m.default ?? (m as unknown as typeof import('koffi'));
    } catch (e) {
      throw new TapError(`pktlab: TAP needs the koffi package (${(e as Error).message})`, 'ENOENT');
    }
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = koffi.load('libc.so.6');
    } catch {
      lib = koffi.load(null); // musl and friends: the symbols are in the process image
    }
    const open = lib.func('int open(const char *path, int flags)');
    const ioctl = lib.func('int ioctl(int fd, unsigned long req, void *arg)');
    const read = lib.func('long read(int fd, void *buf, unsigned long n)');
    const write = lib.func('long write(int fd, const void *buf, unsigned long n)');
    const close = lib.func('int close(int fd)');
    return {
      open: (p, f) => open(p, f) as number,
      ioctl: (fd, req, arg) => ioctl(fd, req, arg) as number,
      read: (fd, buf, n) => Number(read(fd, buf, n)),
      write: (fd, buf, n) => Number(write(fd, buf, n)),
      close: (fd) => close(fd) as number,
      errno: () => koffi.errno(),
      poll: (fd, cb) => koffi.node.poll(fd, { readable: true }, cb as never) as unknown as PollHandle,
    };
  })();
  // A failed load is retried next time (koffi may have been installed meanwhile).
  libcPromise.catch(() => void (libcPromise = null));
  return libcPromise;
}

function privilegeError(call: string, errno: number): TapError {
  const name = errnoName(errno);
  if (name === 'EPERM' || name === 'EACCES') return new TapError(`pktlab: TAP needs root or CAP_NET_ADMIN (${call}: ${name})`, name);
  if (name === 'ENOENT' || name === 'ENODEV' || name === 'ENXIO') {
    return new TapError(`pktlab: TAP needs the tun driver and /dev/net/tun (${call}: ${name}; try 'modprobe tun')`, name);
  }
  if (name === 'EBUSY') return new TapError(`pktlab: the TAP device name is in use by another device (${call}: ${name})`, name);
  return new TapError(`pktlab: cannot open a TAP device (${call}: ${name})`, name);
}

/** Opens a TAP device (IFF_TAP | IFF_NO_PI), non-blocking. Throws TapError with a clear message. */
export async function openTap(opts: TapOpenOptions = {}): Promise<TapDevice> {
  const want = opts.name ?? 'pktlab%d';
  if (Buffer.byteLength(want) >= IFNAMSIZ || !/^[A-Za-z0-9_.%\-]+$/.test(want)) {
    throw new TapError(`pktlab: TAP name ${JSON.stringify(want)} must be 1..15 characters [A-Za-z0-9_.-]`, 'EINVAL');
  }
  const libc = await loadLibc();
  const fd = libc.open('/dev/net/tun', O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw privilegeError('open /dev/net/tun', libc.errno());
  const ifr = new Uint8Array(IFREQ_SIZE);
  ifr.set(Buffer.from(want, 'latin1'));
  new DataView(ifr.buffer).setUint16(IFNAMSIZ, IFF_TAP | IFF_NO_PI, true);
  if (libc.ioctl(fd, TUNSETIFF, ifr) < 0) {
    const e = libc.errno();
    libc.close(fd);
    throw privilegeError('ioctl TUNSETIFF', e);
  }
  const end = ifr.indexOf(0);
  const name = Buffer.from(ifr.subarray(0, end < 0 || end > IFNAMSIZ ? IFNAMSIZ : end)).toString('latin1');
  return new Tap(libc, fd, name, Math.max(1, opts.readBudget ?? 256));
}

/** Largest frame a TAP hands out without vnet headers: 64 KiB IP MTU + header. */
const READ_BUF = 65536 + 18;

class Tap implements TapDevice {
  readonly counters = new TapCounters();
  private poll: PollHandle | null = null;
  private handler: FrameHandler | null = null;
  private isClosed = false;
  private readonly buf = new Uint8Array(READ_BUF);

  constructor(
    private readonly libc: Libc,
    readonly fd: number,
    readonly name: string,
    private readonly readBudget: number,
  ) {}

  get closed(): boolean {
    return this.isClosed;
  }

  onFrame(handler: FrameHandler): void {
    if (this.isClosed) return;
    this.handler = handler;
    if (this.poll === null) {
      this.poll = this.libc.poll(this.fd, (status) => {
        if (status < 0) {
          this.counters.rxErrors++;
          this.counters.error(errnoName(-status));
          return;
        }
        this.drain();
      });
    }
    // Frames already queued before polling started are picked up on the first wake-up (level-triggered).
  }

  private drain(): void {
    const { libc, fd, buf } = this;
    for (let i = 0; i < this.readBudget && !this.isClosed; i++) {
      const n = libc.read(fd, buf, buf.length);
      if (n < 0) {
        const e = libc.errno();
        if (e === EAGAIN) return;
        if (e === EINTR) continue;
        this.counters.rxErrors++;
        this.counters.error(errnoName(e));
        // EBADFD/EIO: the device went away (its namespace was deleted); stop polling a dead fd.
        if (this.counters.rxErrors > 1000) this.stopPolling();
        return;
      }
      this.counters.rxFrames++;
      this.counters.rxBytes += n;
      const frame = buf.slice(0, n); // the handler owns a copy; buf is reused
      this.handler?.(frame);
    }
  }

  write(frame: Uint8Array): boolean {
    if (this.isClosed) {
      this.counters.txErrors++;
      this.counters.error('EBADF');
      return false;
    }
    const n = this.libc.write(this.fd, frame, frame.length);
    if (n !== frame.length) {
      this.counters.txErrors++;
      this.counters.error(n < 0 ? errnoName(this.libc.errno()) : 'short-write');
      return false;
    }
    this.counters.txFrames++;
    this.counters.txBytes += n;
    return true;
  }

  private stopPolling(): void {
    this.poll?.close();
    this.poll = null;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopPolling();
    this.handler = null;
    this.libc.close(this.fd);
  }
}
