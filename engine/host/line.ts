/**
 * A terminal line discipline for the consoles' keystroke mode (`consoles.keys`): echo, cursor
 * movement, backspace/delete, history (up/down), Tab completion, Ctrl-C, Ctrl-U, Ctrl-K, Ctrl-L, and paste
 * (several characters and newlines at once). It writes terminal text (CRLF, ANSI cursor codes) that an
 * xterm shows as it is.
 */

export interface LineIo {
  write(text: string): void;
  /** Starts a command line; `done` is called when it finishes (the prompt comes back). */
  submit(line: string, done: () => void): void;
  complete(before: string): string[];
  interrupt(): void;
  prompt(): string;
}

const CSI = '\x1b[';

export function commonPrefix(words: readonly string[]): string {
  if (words.length === 0) return '';
  let p = words[0]!;
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}

export class LineEditor {
  private buf = '';
  private cursor = 0;
  private readonly history: string[] = [];
  private hpos = 0;
  private running = false;
  /** Keystrokes typed while a command runs: replayed once the prompt is back (type-ahead). */
  private ahead = '';

  constructor(private readonly io: LineIo) {}

  get busy(): boolean {
    return this.running;
  }

  feed(data: string): void {
    let i = 0;
    while (i < data.length) {
      if (this.running) {
        if (data[i] === '\x03') this.io.interrupt();
        else this.ahead += data[i];
        i++;
        continue;
      }
      const rest = data.slice(i);
      const esc = /^\x1b(?:\[[0-9;]*[A-Za-z~]|O[A-Za-z])/.exec(rest);
      if (esc) {
        this.escape(esc[0]);
        i += esc[0].length;
        continue;
      }
      const c = data[i]!;
      i++;
      if (c === '\r' || c === '\n') {
        if (c === '\r' && data[i] === '\n') i++;
        this.enter();
      } else if (c === '\x7f' || c === '\b') this.backspace();
      else if (c === '\t') this.tab();
      else if (c === '\x03') {
        this.io.write(`^C\r\n${this.io.prompt()}`);
        this.buf = '';
        this.cursor = 0;
      } else if (c === '\x15') this.replace('');
      else if (c === '\x0b') this.killToEnd();
      else if (c === '\x0c') this.io.write(`${CSI}2J${CSI}H${this.io.prompt()}${this.buf}${this.back(this.buf.length - this.cursor)}`);
      else if (c === '\x01') this.move(-this.cursor);
      else if (c === '\x05') this.move(this.buf.length - this.cursor);
      else if (c >= ' ') this.insert(c);
    }
  }

  private back(n: number): string {
    return n > 0 ? `${CSI}${n}D` : '';
  }

  private insert(s: string): void {
    const tail = this.buf.slice(this.cursor);
    this.buf = this.buf.slice(0, this.cursor) + s + tail;
    this.cursor += s.length;
    this.io.write(s + tail + this.back(tail.length));
  }

  private backspace(): void {
    if (this.cursor === 0) return;
    const tail = this.buf.slice(this.cursor);
    this.buf = this.buf.slice(0, this.cursor - 1) + tail;
    this.cursor--;
    this.io.write(`\b${tail} ${this.back(tail.length + 1)}`);
  }

  private del(): void {
    if (this.cursor >= this.buf.length) return;
    const tail = this.buf.slice(this.cursor + 1);
    this.buf = this.buf.slice(0, this.cursor) + tail;
    this.io.write(`${tail} ${this.back(tail.length + 1)}`);
  }

  private move(d: number): void {
    const to = Math.max(0, Math.min(this.buf.length, this.cursor + d));
    if (to < this.cursor) this.io.write(this.back(this.cursor - to));
    else if (to > this.cursor) this.io.write(`${CSI}${to - this.cursor}C`);
    this.cursor = to;
  }

  /** Ctrl-K: deletes from the cursor to the end of the line. */
  private killToEnd(): void {
    if (this.cursor >= this.buf.length) return;
    this.buf = this.buf.slice(0, this.cursor);
    this.io.write(`${CSI}K`);
  }

  /** Replaces the whole line (history, Ctrl-U). */
  private replace(s: string): void {
    this.io.write(`${this.back(this.cursor)}${CSI}K${s}`);
    this.buf = s;
    this.cursor = s.length;
  }

  private escape(seq: string): void {
    const k = seq.slice(-1);
    if (seq === `${CSI}3~`) this.del();
    else if (k === 'A') {
      if (this.hpos > 0) this.replace(this.history[--this.hpos]!);
    } else if (k === 'B') {
      if (this.hpos < this.history.length) {
        this.hpos++;
        this.replace(this.history[this.hpos] ?? '');
      }
    } else if (k === 'C') this.move(1);
    else if (k === 'D') this.move(-1);
    else if (k === 'H') this.move(-this.cursor);
    else if (k === 'F') this.move(this.buf.length - this.cursor);
  }

  private tab(): void {
    const before = this.buf.slice(0, this.cursor);
    const cands = this.io.complete(before);
    if (cands.length === 0) return;
    const common = commonPrefix(cands);
    // The part of the line the candidates complete: the longest end of the text before the cursor
    // that starts them (a whole word, or the last segment of an Alteon menu path like /c/sl).
    const token = /(\S*)$/.exec(before)![1]!;
    let partial = '';
    for (let k = Math.min(token.length, common.length); k > 0; k--) {
      if (common.startsWith(token.slice(token.length - k))) {
        partial = token.slice(token.length - k);
        break;
      }
    }
    const inPath = token.length > partial.length && token[token.length - partial.length - 1] === '/';
    if (common.length > partial.length) {
      this.insert(common.slice(partial.length) + (cands.length === 1 && !inPath ? ' ' : ''));
    } else if (cands.length > 1) {
      this.io.write(`\r\n${cands.join('  ')}\r\n${this.io.prompt()}${this.buf}${this.back(this.buf.length - this.cursor)}`);
    }
  }

  private enter(): void {
    const line = this.buf;
    this.buf = '';
    this.cursor = 0;
    this.io.write('\r\n');
    if (line.trim() !== '' && this.history[this.history.length - 1] !== line) this.history.push(line);
    this.hpos = this.history.length;
    this.running = true;
    let sync = true;
    let doneSync = false;
    this.io.submit(line, () => {
      if (sync) {
        doneSync = true;
        return;
      }
      this.finish();
    });
    sync = false;
    if (doneSync) this.finish();
  }

  private finish(): void {
    this.running = false;
    this.io.write(this.io.prompt());
    const ahead = this.ahead;
    this.ahead = '';
    if (ahead) this.feed(ahead);
  }
}
