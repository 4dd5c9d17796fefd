/**
 * HTTP/1.1 messages on a byte stream (RFC 9112 syntax, RFC 9110 semantics).
 *
 * ```
 *   HTTP-message   = start-line CRLF *( field-line CRLF ) CRLF [ message-body ]   §2.1
 *   request-line   = method SP request-target SP HTTP-version                      §3
 *   status-line    = HTTP-version SP status-code SP [ reason-phrase ]              §4
 *   HTTP-version   = "HTTP/" DIGIT "." DIGIT                                       §2.3
 *   field-line     = field-name ":" OWS field-value OWS                            §5
 *   chunked-body   = *chunk last-chunk trailer-section CRLF                        §7.1
 *   chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
 *   last-chunk     = 1*("0") [ chunk-ext ] CRLF
 *   chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 * ```
 *
 * HTTP is text on a stream, so there is no fixed-offset field table or view: `HttpParser` is the
 * incremental reader, `HttpRequest`/`HttpResponse` the values, `encodeRequest`/`encodeResponse` the
 * writers and `parseHttpRequest`/`parseHttpResponse` the one-shot Result parsers. Header text is
 * ISO-8859-1 (each byte one char), so bytes round-trip exactly.
 *
 * Parser API (pull for messages, callbacks for streaming):
 * ```
 *   const p = new HttpParser('request', { onHead: (m) => route(m), onBody: (chunk, m) => fwd(chunk) });
 *   p.push(bytes);                  // any segmentation; returns false once the parser has failed
 *   for (let m; (m = p.next()); ) handle(m);
 *   p.end();                        // at stream close: completes a read-until-close body or fails
 *   if (p.error) answer(p.error.status);
 * ```
 * `onHead` fires when the header section is complete (body still empty), `onBody` per body piece;
 * `next()` returns complete messages (the same object `onHead` saw, its body now filled) in order.
 *
 * Framing (RFC 9112 §6.3): responses to HEAD, 1xx, 204 and 304 have no body; Transfer-Encoding
 * ending in chunked, else Content-Length (identical repeats accepted), else empty (requests) or
 * read until close (responses, then `keepAlive` is false). Content-Length with Transfer-Encoding is
 * refused (request smuggling), as are obs-fold (§5.2) and whitespace before a colon (§5.1). Accepted
 * leniencies: bare LF line ends and empty lines before a message (§2.2), a status line without the
 * SP before an empty reason. Limits: 16 KiB per line, 64 KiB per header (or trailer) section and
 * 100 fields by default, as AWS ALB (which answers 400 where this parser names 414 or 431).
 *
 * Error contract: `push`/`end` and `parseHttp*` never throw on any input; bad input puts the parser
 * into a failed state with a typed `HttpError` (layer 'http', kind malformed | unsupported |
 * truncated) and the status a server would answer with (400, 413, 414, 431, 501, 505; 502 for every
 * response-side error, as a gateway answers). Encoders throw (RangeError) only on a programmer error:
 * a value that cannot be written as valid HTTP/1.1 (e.g. a header value containing CR or LF).
 * Parsed bodies may alias pushed chunks (zero-copy): do not modify a chunk after pushing it.
 */
import { concatBytes } from './bytes.ts';
import { fail, ok, type DecodeError, type DecodeErrorKind, type Result } from './result.ts';

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;
const SEMI = 0x3b;
const EQ = 0x3d;
const DQUOTE = 0x22;
const BSLASH = 0x5c;

/** Byte classes: tchar (RFC 9110 §5.6.2), field-value bytes (§5.5), request-target, hex, qdtext (§5.6.4). */
const K_TOKEN = 1;
const K_VALUE = 2;
const K_TARGET = 4;
const K_HEX = 8;
const K_QDTEXT = 16;
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  let k = 0;
  const alnum = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  if (alnum || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c))) k |= K_TOKEN;
  const vchar = c >= 0x21 && c <= 0x7e;
  const obs = c >= 0x80;
  if (vchar || obs || c === SP || c === HTAB) k |= K_VALUE;
  if (vchar || obs) k |= K_TARGET;
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)) k |= K_HEX;
  if (c === HTAB || c === SP || c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || obs) k |= K_QDTEXT;
  CLASS[c] = k;
}

const EMPTY = new Uint8Array(0);
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** ISO-8859-1 decode of b[s, e) (no per-byte string concatenation). */
function latin1(b: Uint8Array, s: number, e: number): string {
  const n = e - s;
  if (n <= 64) {
    // A plain array is about twice as fast to apply as a fresh subarray for short strings.
    const codes = new Array<number>(n);
    for (let i = 0; i < n; i++) codes[i] = b[s + i]!;
    return String.fromCharCode.apply(null, codes);
  }
  const STEP = 8192;
  let out = '';
  for (let i = s; i < e; i += STEP) {
    out += String.fromCharCode.apply(null, b.subarray(i, Math.min(e, i + STEP)) as unknown as number[]);
  }
  return out;
}

type InternTable = Array<Array<readonly [Uint8Array, string]> | undefined>;

function internTable(words: readonly string[]): InternTable {
  const t: InternTable = [];
  for (const w of words) (t[w.length] ??= []).push([Uint8Array.from(w, (c) => c.charCodeAt(0)), w]);
  return t;
}

/** Common methods, versions and field names in their usual spelling: reused, not decoded again. */
const COMMON_HEAD = internTable(['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'HTTP/1.1', 'HTTP/1.0', 'OK']);
const COMMON_FIELDS = internTable([
  'Host', 'User-Agent', 'Accept', 'Accept-Encoding', 'Accept-Language', 'Accept-Ranges', 'Connection', 'Keep-Alive',
  'Content-Length', 'Content-Type', 'Content-Encoding', 'Transfer-Encoding', 'Trailer', 'Cache-Control', 'Cookie',
  'Set-Cookie', 'Date', 'Server', 'Location', 'Referer', 'Origin', 'Upgrade', 'ETag', 'Last-Modified', 'Expires',
  'Vary', 'Authorization', 'If-None-Match', 'If-Modified-Since', 'Range', 'X-Forwarded-For', 'X-Forwarded-Proto',
  'X-Forwarded-Port', 'X-Amzn-Trace-Id', 'host', 'user-agent', 'accept', 'content-length', 'content-type', 'connection',
]);

/** latin1(b, s, e), returning the table's string when the bytes match one exactly. */
function text(b: Uint8Array, s: number, e: number, table: InternTable): string {
  const cands = table[e - s];
  if (cands !== undefined) {
    for (const [w, str] of cands) {
      let i = 0;
      while (i < w.length && b[s + i] === w[i]) i++;
      if (i === w.length) return str;
    }
  }
  return latin1(b, s, e);
}

/** ASCII case-insensitive comparison of a[from, from + lower.length) with an already lower-case word. */
function eqLowerAt(a: string, from: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = a.charCodeAt(from + i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** Whether a comma-separated list value (RFC 9110 §5.6.1) holds `lower`, case-insensitively. */
function hasListToken(v: string, lower: string): boolean {
  let i = 0;
  while (i < v.length) {
    while (i < v.length && isOws(v.charCodeAt(i))) i++;
    let j = i;
    while (j < v.length && v.charCodeAt(j) !== 0x2c) j++;
    let k = j;
    while (k > i && isOws(v.charCodeAt(k - 1))) k--;
    if (k - i === lower.length && eqLowerAt(v, i, lower)) return true;
    i = j + 1;
  }
  return false;
}

/** ASCII case-insensitive equality against an already lower-case name. */
function eqLower(a: string, lower: string): boolean {
  if (a.length !== lower.length) return false;
  for (let i = 0; i < a.length; i++) {
    let c = a.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function allOf(s: string, kind: number): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || (CLASS[c]! & kind) === 0) return false;
  }
  return true;
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}

/** Elements of a comma-separated list (RFC 9110 §5.6.1), OWS-trimmed, empty elements dropped. */
function listElements(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const part of v.split(',')) {
      const t = part.replace(/^[ \t]+|[ \t]+$/g, '');
      if (t) out.push(t);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Header fields

export type HttpHeadersInit = HttpHeaders | Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

/**
 * Field lines in arrival order with their original case (RFC 9110 §5). `list` is the ordered
 * [name, value] list; lookups are ASCII case-insensitive.
 */
export class HttpHeaders implements Iterable<[string, string]> {
  readonly list: Array<[string, string]>;

  constructor(init?: HttpHeadersInit) {
    this.list = [];
    if (init === undefined) return;
    if (init instanceof HttpHeaders) {
      for (const [n, v] of init.list) this.list.push([n, v]);
    } else if (Symbol.iterator in init) {
      for (const [n, v] of init as Iterable<readonly [string, string]>) this.list.push([n, v]);
    } else {
      for (const n of Object.keys(init)) this.list.push([n, (init as Record<string, string>)[n]!]);
    }
  }

  get size(): number {
    return this.list.length;
  }

  /** The field value; several lines of one name are combined with ", " (RFC 9110 §5.3). */
  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    let out: string | undefined;
    for (const [n, v] of this.list) {
      if (eqLower(n, lower)) out = out === undefined ? v : `${out}, ${v}`;
    }
    return out;
  }

  /** Every value of `name`, one per field line, in order (use this for Set-Cookie). */
  getAll(name: string): string[] {
    const lower = name.toLowerCase();
    const out: string[] = [];
    for (const [n, v] of this.list) if (eqLower(n, lower)) out.push(v);
    return out;
  }

  has(name: string): boolean {
    const lower = name.toLowerCase();
    for (const [n] of this.list) if (eqLower(n, lower)) return true;
    return false;
  }

  /** Appends a field line. */
  add(name: string, value: string): this {
    this.list.push([name, value]);
    return this;
  }

  /** Replaces every line of `name` by one line at the position of the first (or at the end). */
  set(name: string, value: string): this {
    const lower = name.toLowerCase();
    const i = this.list.findIndex(([n]) => eqLower(n, lower));
    if (i < 0) {
      this.list.push([name, value]);
      return this;
    }
    this.list[i] = [name, value];
    for (let j = this.list.length - 1; j > i; j--) if (eqLower(this.list[j]![0], lower)) this.list.splice(j, 1);
    return this;
  }

  /** Removes every line of `name`; returns how many were removed. */
  delete(name: string): number {
    const lower = name.toLowerCase();
    let removed = 0;
    for (let j = this.list.length - 1; j >= 0; j--) {
      if (eqLower(this.list[j]![0], lower)) {
        this.list.splice(j, 1);
        removed++;
      }
    }
    return removed;
  }

  clone(): HttpHeaders {
    return new HttpHeaders(this);
  }

  [Symbol.iterator](): Iterator<[string, string]> {
    return this.list[Symbol.iterator]();
  }

  /** The field lines as written on the wire, each ending in CRLF. */
  toString(): string {
    let s = '';
    for (const [n, v] of this.list) s += `${n}: ${v}\r\n`;
    return s;
  }
}

function toHeaders(init: HttpHeadersInit | undefined): HttpHeaders {
  return init instanceof HttpHeaders ? init : new HttpHeaders(init);
}

/** Persistence per RFC 9112 §9.3: "close" ends it; HTTP/1.1+ persists by default; 1.0 needs keep-alive. */
function persistent(version: string, headers: HttpHeaders): boolean {
  let keep = false;
  for (const [n, v] of headers.list) {
    if (!eqLower(n, 'connection')) continue;
    if (hasListToken(v, 'close')) return false;
    if (hasListToken(v, 'keep-alive')) keep = true;
  }
  return version.charCodeAt(7) >= 0x31 || version.charCodeAt(5) > 0x31 ? true : keep;
}

// ---------------------------------------------------------------------------------------------------
// Values

export interface HttpRequestInit {
  /** Default 'GET'. Methods are case-sensitive (RFC 9110 §9.1). */
  method?: string;
  /** Default '/'. */
  target?: string;
  /** Default 'HTTP/1.1'. */
  version?: string;
  /** An HttpHeaders instance is used as is (not copied). */
  headers?: HttpHeadersInit;
  /** A string is encoded as UTF-8. */
  body?: Uint8Array | string;
  /** Trailer fields of a chunked message (RFC 9112 §7.1.2). */
  trailers?: HttpHeadersInit;
}

export interface HttpResponseInit {
  /** Default 'HTTP/1.1'. */
  version?: string;
  /** Default 200. */
  status?: number;
  /** Default: the RFC 9110 phrase for `status`, or ''. */
  reason?: string;
  headers?: HttpHeadersInit;
  body?: Uint8Array | string;
  trailers?: HttpHeadersInit;
  /** The body was delimited by the connection closing (RFC 9112 §6.3 item 8); set by the parser. */
  closeDelimited?: boolean;
}

function toBody(b: Uint8Array | string | undefined): Uint8Array {
  if (b === undefined) return EMPTY;
  return typeof b === 'string' ? utf8Encoder.encode(b) : b;
}

export class HttpRequest {
  method: string;
  target: string;
  version: string;
  headers: HttpHeaders;
  body: Uint8Array;
  trailers: HttpHeaders;

  constructor(init: HttpRequestInit = {}) {
    this.method = init.method ?? 'GET';
    this.target = init.target ?? '/';
    this.version = init.version ?? 'HTTP/1.1';
    this.headers = toHeaders(init.headers);
    this.body = toBody(init.body);
    this.trailers = toHeaders(init.trailers);
  }

  /** Whether the connection persists after this message (RFC 9112 §9.3). */
  get keepAlive(): boolean {
    return persistent(this.version, this.headers);
  }

  /** The body decoded as UTF-8. */
  bodyText(): string {
    return utf8Decoder.decode(this.body);
  }

  encode(opts?: HttpEncodeOptions): Uint8Array {
    return encodeRequest(this, opts);
  }

  /** Wireshark's Info column: `GET /index.html HTTP/1.1`. */
  toString(): string {
    return `${this.method} ${this.target} ${this.version}`;
  }
}

export class HttpResponse {
  version: string;
  status: number;
  reason: string;
  headers: HttpHeaders;
  body: Uint8Array;
  trailers: HttpHeaders;
  closeDelimited: boolean;

  constructor(init: HttpResponseInit = {}) {
    this.version = init.version ?? 'HTTP/1.1';
    this.status = init.status ?? 200;
    this.reason = init.reason ?? httpReasonPhrase(this.status) ?? '';
    this.headers = toHeaders(init.headers);
    this.body = toBody(init.body);
    this.trailers = toHeaders(init.trailers);
    this.closeDelimited = init.closeDelimited ?? false;
  }

  /** Whether the connection persists after this message (RFC 9112 §9.3, §6.3 item 8). */
  get keepAlive(): boolean {
    return !this.closeDelimited && persistent(this.version, this.headers);
  }

  bodyText(): string {
    return utf8Decoder.decode(this.body);
  }

  encode(opts?: HttpEncodeOptions): Uint8Array {
    return encodeResponse(this, opts);
  }

  /** Wireshark's Info column: `HTTP/1.1 200 OK  (text/html)`. */
  toString(): string {
    const line = `${this.version} ${this.status}${this.reason ? ` ${this.reason}` : ''}`;
    const ct = this.headers.get('content-type');
    if (ct === undefined) return line;
    const semi = ct.indexOf(';');
    return `${line}  (${(semi < 0 ? ct : ct.slice(0, semi)).trim().toLowerCase()})`;
  }
}

export type HttpMessage = HttpRequest | HttpResponse;
export type HttpKind = 'request' | 'response';
export type HttpMessageOf<K extends HttpKind> = K extends 'request' ? HttpRequest : HttpResponse;

const REASONS: Record<number, string> = {
  100: 'Continue', 101: 'Switching Protocols', 200: 'OK', 201: 'Created', 202: 'Accepted',
  203: 'Non-Authoritative Information', 204: 'No Content', 205: 'Reset Content', 206: 'Partial Content',
  300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Found', 303: 'See Other', 304: 'Not Modified',
  307: 'Temporary Redirect', 308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict',
  411: 'Length Required', 413: 'Content Too Large', 414: 'URI Too Long', 415: 'Unsupported Media Type',
  417: 'Expectation Failed', 421: 'Misdirected Request', 426: 'Upgrade Required', 429: 'Too Many Requests',
  431: 'Request Header Fields Too Large', 500: 'Internal Server Error', 501: 'Not Implemented',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 505: 'HTTP Version Not Supported',
};

/** The reason phrase RFC 9110 §15 gives a status code (RFC 6585 for 429/431), if any. */
export function httpReasonPhrase(status: number): string | undefined {
  return REASONS[status];
}

/** Responses that never have content (RFC 9112 §6.3 item 1). */
function statusHasNoBody(status: number): boolean {
  return status < 200 || status === 204 || status === 304;
}

// ---------------------------------------------------------------------------------------------------
// Parser

export interface HttpError extends DecodeError {
  readonly layer: 'http';
  /** What a server (or, for a response, a gateway) answers: 400, 413, 414, 431, 501, 505 or 502. */
  readonly status: number;
}

export interface HttpParserOptions<M extends HttpMessage = HttpMessage> {
  /** Longest start line or field line, CRLF excluded. Default 16384 (AWS ALB). */
  maxLineBytes?: number;
  /** Longest header section (start line included) and longest trailer section. Default 65536 (ALB). */
  maxHeaderBytes?: number;
  /** Most field lines in a header or trailer section. Default 100. */
  maxHeaders?: number;
  /** Largest body; beyond it the parser fails with 413. Default unlimited. */
  maxBodyBytes?: number;
  /** Collect bodies into `message.body` (default true); false leaves bodies to `onBody`. */
  bufferBody?: boolean;
  /** The header section is complete; `msg.body` is still empty. */
  onHead?: (msg: M) => void;
  /** A piece of `msg`'s body (chunked framing removed). */
  onBody?: (chunk: Uint8Array, msg: M) => void;
}

const S_START = 0;
const S_HEADER = 1;
const S_BODY_LEN = 2;
const S_CHUNK_SIZE = 3;
const S_CHUNK_DATA = 4;
const S_CHUNK_CR = 5;
const S_CHUNK_LF = 6;
const S_TRAILER = 7;
const S_BODY_CLOSE = 8;
const S_TUNNEL = 9;
const S_ERROR = 10;
const S_CLOSED = 11;

/** Transfer codings registered for HTTP/1.1 (RFC 9112 §7, RFC 9110 §8.4.1). */
const KNOWN_CODINGS = new Set(['chunked', 'gzip', 'x-gzip', 'deflate', 'compress', 'x-compress']);

/**
 * Incremental HTTP/1.1 parser for one direction of a connection. Handles pipelining (several
 * messages in one chunk), Content-Length, chunked and read-until-close bodies, 1xx interim responses,
 * and stops at a protocol switch (101, or 2xx to CONNECT): later bytes go to `takeTunnelBytes()`.
 */
export class HttpParser<K extends HttpKind = HttpKind> {
  readonly kind: K;
  private readonly maxLine: number;
  private readonly maxHead: number;
  private readonly maxFields: number;
  private readonly maxBody: number;
  private readonly buffer: boolean;
  private readonly onHead: ((m: HttpMessageOf<K>) => void) | undefined;
  private readonly onBody: ((c: Uint8Array, m: HttpMessageOf<K>) => void) | undefined;

  private st = S_START;
  /** Partial line carried across pushes. */
  private lineBuf = EMPTY;
  private lineLen = 0;
  /** Stream offset of the first byte of the current push, and of the current line. */
  private pos = 0;
  private lineAt = 0;
  private sectionBytes = 0;
  private fieldCount = 0;

  private version = '';
  private method = '';
  private target = '';
  private status = 0;
  private reason = '';
  private headers: HttpHeaders | null = null;
  private msg: HttpMessage | null = null;
  private afterBody = S_START;
  private remaining = 0;
  private bodyLen = 0;
  private parts: Uint8Array[] = [];

  private readonly queue: HttpMessageOf<K>[] = [];
  private queueHead = 0;
  private readonly methods: string[] = [];
  private methodHead = 0;
  private tunnel: Uint8Array[] = [];
  private err: HttpError | null = null;

  constructor(kind: K, opts: HttpParserOptions<HttpMessageOf<K>> = {}) {
    this.kind = kind;
    this.maxLine = opts.maxLineBytes ?? 16 * 1024;
    this.maxHead = opts.maxHeaderBytes ?? 64 * 1024;
    this.maxFields = opts.maxHeaders ?? 100;
    this.maxBody = opts.maxBodyBytes ?? Infinity;
    this.buffer = opts.bufferBody ?? true;
    this.onHead = opts.onHead;
    this.onBody = opts.onBody;
  }

  /** The failure, once the parser has failed (it then ignores further input). */
  get error(): HttpError | null {
    return this.err;
  }

  /** True between messages: no partial message is buffered. */
  get idle(): boolean {
    return this.st === S_START && this.lineLen === 0;
  }

  /** True after a 101 response or a 2xx response to CONNECT: the stream is no longer HTTP. */
  get upgraded(): boolean {
    return this.st === S_TUNNEL;
  }

  /**
   * Response parsers: the method of the request the next response answers (RFC 9112 §6.3 needs it
   * for HEAD and CONNECT). Call once per request, in order; without a call GET is assumed.
   */
  expectResponseTo(method: string): void {
    this.methods.push(method);
  }

  /** Next complete message, or null. */
  next(): HttpMessageOf<K> | null {
    if (this.queueHead >= this.queue.length) return null;
    const m = this.queue[this.queueHead++]!;
    if (this.queueHead === this.queue.length) {
      this.queue.length = 0;
      this.queueHead = 0;
    }
    return m;
  }

  /** Bytes received after a protocol switch (see `upgraded`), emptied by the call. */
  takeTunnelBytes(): Uint8Array {
    const parts = this.tunnel;
    this.tunnel = [];
    return parts.length === 1 ? parts[0]! : concatBytes(parts);
  }

  /** Feeds stream bytes in any segmentation. Returns false once the parser has failed. */
  push(chunk: Uint8Array): boolean {
    const n = chunk.length;
    let off = 0;
    while (off < n && this.st < S_TUNNEL) {
      switch (this.st) {
        case S_START:
        case S_HEADER:
        case S_CHUNK_SIZE:
        case S_TRAILER:
          off = this.feedLine(chunk, off);
          break;
        case S_BODY_LEN:
        case S_CHUNK_DATA: {
          const take = Math.min(this.remaining, n - off);
          this.remaining -= take;
          this.bodyPiece(chunk.subarray(off, off + take), this.pos + off);
          off += take;
          if (this.remaining === 0 && !this.failed()) {
            if (this.st === S_BODY_LEN) this.complete();
            else this.st = S_CHUNK_CR;
          }
          break;
        }
        case S_CHUNK_CR: {
          const b = chunk[off++]!;
          if (b === CR) this.st = S_CHUNK_LF;
          else if (b === LF) this.st = S_CHUNK_SIZE;
          else this.failAt('malformed', 400, 'chunk data not followed by CRLF', this.pos + off - 1);
          break;
        }
        case S_CHUNK_LF:
          if (chunk[off++] === LF) this.st = S_CHUNK_SIZE;
          else this.failAt('malformed', 400, 'chunk data not followed by CRLF', this.pos + off - 1);
          break;
        case S_BODY_CLOSE:
          this.bodyPiece(chunk.subarray(off), this.pos + off);
          off = n;
          break;
      }
    }
    if (this.st === S_TUNNEL && off < n) this.tunnel.push(chunk.subarray(off));
    this.pos += n;
    return this.st !== S_ERROR;
  }

  /**
   * The stream closed. Completes a read-until-close body; a partial message becomes a 'truncated'
   * error. Returns the parser's error, if any.
   */
  end(): HttpError | null {
    const st = this.st;
    if (st === S_BODY_CLOSE) {
      this.complete();
    } else if (st === S_START) {
      if (this.lineLen > 0) this.failAt('truncated', 400, 'stream closed inside the start line', this.lineAt);
    } else if (st === S_HEADER) {
      this.failAt('truncated', 400, 'stream closed inside the header section', this.lineAt);
    } else if (st === S_BODY_LEN) {
      this.failAt('truncated', 400, `stream closed after ${this.bodyLen} of ${this.bodyLen + this.remaining} body bytes`, this.pos);
    } else if (st >= S_CHUNK_SIZE && st <= S_TRAILER) {
      this.failAt('truncated', 400, 'stream closed inside the chunked body', this.pos);
    }
    if (this.st !== S_ERROR && this.st !== S_TUNNEL) this.st = S_CLOSED;
    return this.err;
  }

  // --- internals ---

  private failAt(kind: DecodeErrorKind, status: number, message: string, offset: number): void {
    if (this.st === S_ERROR) return;
    this.err = { kind, layer: 'http', message, offset, status: this.kind === 'response' ? 502 : status };
    this.st = S_ERROR;
  }

  private failed(): boolean {
    return this.st === S_ERROR;
  }

  private fail(kind: DecodeErrorKind, status: number, message: string): void {
    this.failAt(kind, status, message, this.lineAt);
  }

  /** Consumes bytes of a CRLF- (or LF-, RFC 9112 §2.2) terminated line; returns the new offset. */
  private feedLine(chunk: Uint8Array, off: number): number {
    if (this.lineLen === 0) this.lineAt = this.pos + off;
    const lf = chunk.indexOf(LF, off);
    const stop = lf < 0 ? chunk.length : lf;
    if (this.lineLen === 0 && lf >= 0) {
      const end = lf > off && chunk[lf - 1] === CR ? lf - 1 : lf;
      if (this.checkLine(end - off, lf + 1 - off)) this.line(chunk, off, end, lf + 1 - off);
      return lf + 1;
    }
    // Checked before buffering, so a long line never grows the buffer beyond the limits.
    const len = this.lineLen + (stop - off);
    const lastIsCr = stop > off ? chunk[stop - 1] === CR : this.lineBuf[this.lineLen - 1] === CR;
    const content = lastIsCr ? len - 1 : len;
    if (!this.checkLine(content, lf < 0 ? len : len + 1)) return lf < 0 ? stop : lf + 1;
    this.append(chunk, off, stop);
    if (lf < 0) return stop;
    this.lineLen = 0;
    this.line(this.lineBuf, 0, content, len + 1);
    return lf + 1;
  }

  private append(chunk: Uint8Array, s: number, e: number): void {
    const need = this.lineLen + (e - s);
    if (need > this.lineBuf.length) {
      const grown = new Uint8Array(Math.max(need, 256, this.lineBuf.length * 2));
      grown.set(this.lineBuf.subarray(0, this.lineLen));
      this.lineBuf = grown;
    }
    this.lineBuf.set(chunk.subarray(s, e), this.lineLen);
    this.lineLen = need;
  }

  /** Line length limits (a partial line is checked as it grows). */
  private checkLine(content: number, withEnd: number): boolean {
    const st = this.st;
    if (content > this.maxLine) {
      if (st === S_START) {
        if (this.kind === 'request') this.fail('malformed', 414, `request line longer than ${this.maxLine} bytes`);
        else this.fail('malformed', 502, `status line longer than ${this.maxLine} bytes`);
      } else if (st === S_CHUNK_SIZE) {
        this.fail('malformed', 400, `chunk size line longer than ${this.maxLine} bytes`);
      } else {
        this.fail('malformed', 431, `header field line longer than ${this.maxLine} bytes`);
      }
      return false;
    }
    const before = st === S_START ? 0 : st === S_CHUNK_SIZE ? -Infinity : this.sectionBytes;
    if (before + withEnd > this.maxHead) {
      this.fail('malformed', 431, `${st === S_TRAILER ? 'trailer' : 'header'} section longer than ${this.maxHead} bytes`);
      return false;
    }
    return true;
  }

  /** A complete line b[s, e), terminator excluded; `size` counts the terminator too. */
  private line(b: Uint8Array, s: number, e: number, size: number): void {
    switch (this.st) {
      case S_START:
        if (e === s) return; // empty lines before a message are ignored (RFC 9112 §2.2)
        this.sectionBytes = size;
        this.fieldCount = 0;
        this.headers = new HttpHeaders();
        if (this.kind === 'request') this.requestLine(b, s, e);
        else this.statusLine(b, s, e);
        if (!this.failed()) this.st = S_HEADER;
        return;
      case S_HEADER:
        if (e === s) {
          this.headEnd();
          return;
        }
        this.sectionBytes += size;
        this.fieldLine(b, s, e, this.headers!);
        return;
      case S_CHUNK_SIZE:
        this.chunkSize(b, s, e);
        return;
      case S_TRAILER:
        if (e === s) {
          this.complete();
          return;
        }
        this.sectionBytes += size;
        this.fieldLine(b, s, e, this.msg!.trailers);
        return;
    }
  }

  /** HTTP-version at b[s, s+8) (RFC 9112 §2.3); returns it, or '' after failing. */
  private httpVersion(b: Uint8Array, s: number, e: number): string {
    if (
      e - s !== 8 || b[s] !== 0x48 || b[s + 1] !== 0x54 || b[s + 2] !== 0x54 || b[s + 3] !== 0x50 || b[s + 4] !== 0x2f ||
      b[s + 6] !== 0x2e || !isDigit(b[s + 5]!) || !isDigit(b[s + 7]!)
    ) {
      this.fail('malformed', 400, `invalid HTTP version "${latin1(b, s, Math.min(e, s + 32))}"`);
      return '';
    }
    const v = text(b, s, e, COMMON_HEAD);
    if (b[s + 5] !== 0x31) {
      this.fail('unsupported', 505, `unsupported HTTP version ${v}`);
      return '';
    }
    return v;
  }

  /** request-line = method SP request-target SP HTTP-version (RFC 9112 §3). */
  private requestLine(b: Uint8Array, s: number, e: number): void {
    let i = s;
    while (i < e && CLASS[b[i]!]! & K_TOKEN) i++;
    if (i === s || i === e || b[i] !== SP) {
      this.fail('malformed', 400, i === s ? 'request line does not start with a method' : i === e ? 'request line has no request-target' : 'invalid character in method');
      return;
    }
    const m = i;
    let j = ++i;
    while (j < e && CLASS[b[j]!]! & K_TARGET) j++;
    if (j === i) {
      this.fail('malformed', 400, 'empty request-target');
      return;
    }
    if (j === e) {
      this.fail('malformed', 400, 'request line has no HTTP version');
      return;
    }
    if (b[j] !== SP) {
      this.fail('malformed', 400, 'invalid character in request-target');
      return;
    }
    const version = this.httpVersion(b, j + 1, e);
    if (!version) return;
    this.method = text(b, s, m, COMMON_HEAD);
    this.target = latin1(b, i, j);
    this.version = version;
  }

  /** status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4). */
  private statusLine(b: Uint8Array, s: number, e: number): void {
    let sp = s;
    while (sp < e && b[sp] !== SP) sp++;
    const version = this.httpVersion(b, s, sp);
    if (!version) return;
    const c = sp + 1;
    if (e - c < 3) {
      this.fail('malformed', 502, 'status line has no status code');
      return;
    }
    const c0 = b[c]!;
    const c1 = b[c + 1]!;
    const c2 = b[c + 2]!;
    if (!isDigit(c0) || !isDigit(c1) || !isDigit(c2) || (c + 3 < e && b[c + 3] !== SP)) {
      this.fail('malformed', 502, 'invalid status code');
      return;
    }
    const status = (c0 - 0x30) * 100 + (c1 - 0x30) * 10 + (c2 - 0x30);
    if (status < 100 || status > 599) {
      this.fail('malformed', 502, `status code ${status} out of range 100..599`);
      return;
    }
    // "HTTP/1.1 200" without the SP before an empty reason is accepted (robustness).
    const rs = Math.min(c + 4, e);
    for (let k = rs; k < e; k++) {
      if ((CLASS[b[k]!]! & K_VALUE) === 0) {
        this.fail('malformed', 502, 'invalid character in reason phrase');
        return;
      }
    }
    this.version = version;
    this.status = status;
    this.reason = text(b, rs, e, COMMON_HEAD);
  }

  /** field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). */
  private fieldLine(b: Uint8Array, s: number, e: number, into: HttpHeaders): void {
    const first = b[s]!;
    if (isOws(first)) {
      // RFC 9112 §5.2 (obs-fold) and §2.2 (whitespace after the start line).
      this.fail('malformed', 400, into.size === 0 && this.st === S_HEADER ? 'whitespace between start line and first header field' : 'obsolete line folding (obs-fold) in header section');
      return;
    }
    if (++this.fieldCount > this.maxFields) {
      this.fail('malformed', 431, `more than ${this.maxFields} ${this.st === S_TRAILER ? 'trailer' : 'header'} fields`);
      return;
    }
    let i = s;
    while (i < e && CLASS[b[i]!]! & K_TOKEN) i++;
    if (i === e || b[i] !== COLON) {
      const c = i < e ? b[i]! : -1;
      this.fail('malformed', 400, i === e ? 'header field line has no colon' : isOws(c) ? 'whitespace between header field name and colon' : 'invalid character in header field name');
      return;
    }
    if (i === s) {
      this.fail('malformed', 400, 'empty header field name');
      return;
    }
    let vs = i + 1;
    let ve = e;
    while (vs < ve && isOws(b[vs]!)) vs++;
    while (ve > vs && isOws(b[ve - 1]!)) ve--;
    for (let k = vs; k < ve; k++) {
      if ((CLASS[b[k]!]! & K_VALUE) === 0) {
        this.fail('malformed', 400, `invalid character 0x${b[k]!.toString(16).padStart(2, '0')} in ${latin1(b, s, i)} field value`);
        return;
      }
    }
    into.list.push([text(b, s, i, COMMON_FIELDS), latin1(b, vs, ve)]);
  }

  /** Header section done: builds the message and picks the body framing (RFC 9112 §6.3). */
  private headEnd(): void {
    const headers = this.headers!;
    this.headers = null;
    const v = this.version;
    if (this.kind === 'request') {
      const req = new HttpRequest({ method: this.method, target: this.target, version: v, headers });
      this.msg = req;
      this.frameRequest(req);
    } else {
      const res = new HttpResponse({ version: v, status: this.status, reason: this.reason, headers });
      this.msg = res;
      this.frameResponse(res);
    }
  }

  private frameRequest(req: HttpRequest): void {
    const h = req.headers;
    const te = h.getAll('transfer-encoding');
    if (te.length > 0) {
      const chunked = this.codings(te, h, req.version);
      if (chunked === null) return;
      if (!chunked) {
        this.fail('malformed', 400, 'chunked is not the final transfer coding of a request');
        return;
      }
      this.startBody(S_CHUNK_SIZE, 0);
      return;
    }
    const len = this.contentLength(h);
    if (len === null) return;
    this.startBody(len > 0 ? S_BODY_LEN : S_START, len);
  }

  private frameResponse(res: HttpResponse): void {
    let method = 'GET';
    if (res.status >= 200) {
      if (this.methodHead < this.methods.length) method = this.methods[this.methodHead++]!;
      if (this.methodHead === this.methods.length) {
        this.methods.length = 0;
        this.methodHead = 0;
      }
    } else if (this.methodHead < this.methods.length) {
      method = this.methods[this.methodHead]!;
    }
    if (res.status === 101 || (method === 'CONNECT' && res.status >= 200 && res.status < 300)) {
      this.startBody(S_TUNNEL, 0);
      return;
    }
    if (method === 'HEAD' || statusHasNoBody(res.status)) {
      this.startBody(S_START, 0);
      return;
    }
    const h = res.headers;
    const te = h.getAll('transfer-encoding');
    if (te.length > 0) {
      const chunked = this.codings(te, h, res.version);
      if (chunked === null) return;
      if (chunked) this.startBody(S_CHUNK_SIZE, 0);
      else {
        res.closeDelimited = true;
        this.startBody(S_BODY_CLOSE, 0);
      }
      return;
    }
    if (!h.has('content-length')) {
      res.closeDelimited = true;
      this.startBody(S_BODY_CLOSE, 0);
      return;
    }
    const len = this.contentLength(h);
    if (len === null) return;
    this.startBody(len > 0 ? S_BODY_LEN : S_START, len);
  }

  /** Validates Transfer-Encoding (RFC 9112 §6.1, §6.3); true if chunked is final, null after failing. */
  private codings(te: string[], h: HttpHeaders, version: string): boolean | null {
    if (h.has('content-length')) {
      this.fail('malformed', 400, 'Content-Length together with Transfer-Encoding');
      return null;
    }
    if (version === 'HTTP/1.0') {
      this.fail('malformed', 400, 'Transfer-Encoding in an HTTP/1.0 message');
      return null;
    }
    const list = listElements(te);
    let chunkedAt = -1;
    for (let i = 0; i < list.length; i++) {
      const el = list[i]!;
      const semi = el.indexOf(';');
      const name = (semi < 0 ? el : el.slice(0, semi)).trim().toLowerCase();
      if (!name || !allOf(name, K_TOKEN)) {
        this.fail('malformed', 400, `invalid Transfer-Encoding "${te.join(', ')}"`);
        return null;
      }
      if (!KNOWN_CODINGS.has(name)) {
        this.fail('unsupported', 501, `unknown transfer coding "${name}"`);
        return null;
      }
      if (name === 'chunked') {
        if (chunkedAt >= 0) {
          this.fail('malformed', 400, 'chunked transfer coding applied more than once');
          return null;
        }
        chunkedAt = i;
      }
    }
    if (list.length === 0) {
      this.fail('malformed', 400, 'empty Transfer-Encoding');
      return null;
    }
    if (chunkedAt >= 0 && chunkedAt !== list.length - 1) {
      this.fail('malformed', 400, 'chunked is not the final transfer coding');
      return null;
    }
    return chunkedAt >= 0;
  }

  /** Content-Length (RFC 9110 §8.6, RFC 9112 §6.3 item 5): 0 if absent, null after failing. */
  private contentLength(h: HttpHeaders): number | null {
    const values = h.getAll('content-length');
    if (values.length === 0) return 0;
    let len = -1;
    for (const raw of values) {
      // 1*DIGIT, or a list of identical values ("5, 5") per RFC 9110 §8.6.
      let i = 0;
      while (i <= raw.length) {
        let n = 0;
        let digits = 0;
        while (i < raw.length && isOws(raw.charCodeAt(i))) i++;
        const from = i;
        while (i < raw.length && isDigit(raw.charCodeAt(i))) {
          const d = raw.charCodeAt(i++) - 0x30;
          if (n > 0 || d > 0) digits++;
          n = n * 10 + d;
        }
        const empty = i === from;
        while (i < raw.length && isOws(raw.charCodeAt(i))) i++;
        if (empty || (i < raw.length && raw.charCodeAt(i) !== 0x2c)) {
          this.fail('malformed', 400, `invalid Content-Length "${raw}"`);
          return null;
        }
        if (digits > 15) {
          this.fail('unsupported', 413, `Content-Length "${raw}" is too large`);
          return null;
        }
        if (len >= 0 && n !== len) {
          this.fail('malformed', 400, `conflicting Content-Length values ${len} and ${n}`);
          return null;
        }
        len = n;
        i++;
      }
    }
    if (len > this.maxBody) {
      this.fail('unsupported', 413, `Content-Length ${len} exceeds the limit of ${this.maxBody} bytes`);
      return null;
    }
    return len;
  }

  private startBody(state: number, len: number): void {
    const m = this.msg!;
    this.bodyLen = 0;
    this.remaining = len;
    this.onHead?.(m as HttpMessageOf<K>);
    if (state === S_START || state === S_TUNNEL) {
      this.afterBody = state;
      this.complete();
      return;
    }
    this.afterBody = S_START;
    this.st = state;
  }

  /** chunk-size [ chunk-ext ] (RFC 9112 §7.1, §7.1.1). */
  private chunkSize(b: Uint8Array, s: number, e: number): void {
    let i = s;
    while (i < e && b[i] === 0x30) i++;
    const digitsFrom = i;
    while (i < e && CLASS[b[i]!]! & K_HEX) i++;
    if (i === s) {
      this.fail('malformed', 400, 'invalid chunk size');
      return;
    }
    if (i - digitsFrom > 13) {
      this.fail('unsupported', 413, 'chunk size too large');
      return;
    }
    const size = i === digitsFrom ? 0 : parseInt(latin1(b, digitsFrom, i), 16);
    if (i < e && !validChunkExt(b, i, e)) {
      this.fail('malformed', 400, 'invalid chunk extension');
      return;
    }
    if (size === 0) {
      this.st = S_TRAILER;
      this.sectionBytes = 0;
      this.fieldCount = 0;
      return;
    }
    if (this.bodyLen + size > this.maxBody) {
      this.fail('unsupported', 413, `body exceeds the limit of ${this.maxBody} bytes`);
      return;
    }
    this.remaining = size;
    this.st = S_CHUNK_DATA;
  }

  /** Body bytes starting at stream offset `at`. */
  private bodyPiece(piece: Uint8Array, at: number): void {
    if (piece.length === 0) return;
    this.bodyLen += piece.length;
    if (this.bodyLen > this.maxBody) {
      this.failAt('unsupported', 413, `body exceeds the limit of ${this.maxBody} bytes`, at);
      return;
    }
    if (this.buffer) this.parts.push(piece);
    this.onBody?.(piece, this.msg! as HttpMessageOf<K>);
  }

  private complete(): void {
    const m = this.msg!;
    if (this.parts.length > 0) {
      m.body = this.parts.length === 1 ? this.parts[0]! : concatBytes(this.parts);
      this.parts.length = 0;
    }
    this.msg = null;
    this.queue.push(m as HttpMessageOf<K>);
    this.st = this.afterBody;
    this.afterBody = S_START;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] ) over b[i, e). */
function validChunkExt(b: Uint8Array, i: number, e: number): boolean {
  while (i < e) {
    while (i < e && isOws(b[i]!)) i++;
    if (i === e || b[i] !== SEMI) return false;
    i++;
    while (i < e && isOws(b[i]!)) i++;
    const ns = i;
    while (i < e && CLASS[b[i]!]! & K_TOKEN) i++;
    if (i === ns) return false;
    let j = i;
    while (j < e && isOws(b[j]!)) j++;
    if (j < e && b[j] === EQ) {
      j++;
      while (j < e && isOws(b[j]!)) j++;
      if (j < e && b[j] === DQUOTE) {
        j++;
        for (;;) {
          if (j >= e) return false;
          const c = b[j]!;
          if (c === DQUOTE) break;
          if (c === BSLASH) {
            if (j + 1 >= e || (CLASS[b[j + 1]!]! & K_VALUE) === 0) return false;
            j += 2;
          } else if (CLASS[c]! & K_QDTEXT) j++;
          else return false;
        }
        j++;
      } else {
        const vs = j;
        while (j < e && CLASS[b[j]!]! & K_TOKEN) j++;
        if (j === vs) return false;
      }
      i = j;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------------
// One-shot parsing

export interface ParseHttpResponseOptions extends HttpParserOptions<HttpResponse> {
  /** Method of the request this response answers (HEAD and CONNECT change framing). Default GET. */
  requestMethod?: string;
}

function oneShot<K extends HttpKind>(p: HttpParser<K>, bytes: Uint8Array): Result<HttpMessageOf<K>> {
  p.push(bytes);
  let m = p.next();
  if (m) return ok(m);
  const e = p.end();
  m = p.next();
  if (m) return ok(m);
  if (e) return { ok: false, error: e };
  return fail('truncated', 'http', 'no HTTP message in the input', 0);
}

/**
 * Parses the first request in `bytes` (later bytes are ignored). A head without its whole body is
 * 'truncated'. Never throws; a failure is an `HttpError`.
 */
export function parseHttpRequest(bytes: Uint8Array, opts?: HttpParserOptions<HttpRequest>): Result<HttpRequest> {
  return oneShot(new HttpParser('request', opts), bytes);
}

/** Parses the first response in `bytes`; a body without length runs to the end of `bytes`. */
export function parseHttpResponse(bytes: Uint8Array, opts: ParseHttpResponseOptions = {}): Result<HttpResponse> {
  const p = new HttpParser('response', opts);
  if (opts.requestMethod !== undefined) p.expectResponseTo(opts.requestMethod);
  return oneShot(p, bytes);
}

// ---------------------------------------------------------------------------------------------------
// Serializer

export interface HttpEncodeOptions {
  /** Send the body with the chunked transfer coding, adding `Transfer-Encoding: chunked` if absent. */
  chunked?: boolean;
}

function check(ok: boolean, what: string, s: string): void {
  if (!ok) throw new RangeError(`invalid ${what} ${JSON.stringify(s)}`);
}

/** Start line and field lines (no terminating empty line), validated. */
function headText(m: HttpMessage): string {
  let s: string;
  check(/^HTTP\/1\.\d$/.test(m.version), 'HTTP version', m.version);
  if (m instanceof HttpRequest) {
    check(m.method.length > 0 && allOf(m.method, K_TOKEN), 'method', m.method);
    check(m.target.length > 0 && allOf(m.target, K_TARGET), 'request-target', m.target);
    s = `${m.method} ${m.target} ${m.version}\r\n`;
  } else {
    check(Number.isInteger(m.status) && m.status >= 100 && m.status <= 599, 'status code', String(m.status));
    check(allOf(m.reason, K_VALUE), 'reason phrase', m.reason);
    s = `${m.version} ${m.status} ${m.reason}\r\n`;
  }
  return s + fieldsText(m.headers);
}

function fieldsText(h: HttpHeaders): string {
  let s = '';
  for (const [n, v] of h.list) {
    check(n.length > 0 && allOf(n, K_TOKEN), 'header field name', n);
    check(allOf(v, K_VALUE), `${n} field value`, v);
    s += `${n}: ${v}\r\n`;
  }
  return s;
}

function latin1Bytes(s: string, out: Uint8Array, off: number): number {
  for (let i = 0; i < s.length; i++) out[off + i] = s.charCodeAt(i);
  return off + s.length;
}

function textBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  latin1Bytes(s, out, 0);
  return out;
}

function finalCodingChunked(te: readonly string[]): boolean {
  const list = listElements(te);
  const last = list[list.length - 1];
  if (last === undefined) return false;
  const semi = last.indexOf(';');
  return (semi < 0 ? last : last.slice(0, semi)).trim().toLowerCase() === 'chunked';
}

function encodeMessage(m: HttpMessage, opts: HttpEncodeOptions): Uint8Array {
  const isResponse = m instanceof HttpResponse;
  const h = m.headers;
  const body = m.body;
  const te = h.getAll('transfer-encoding');
  const hasLength = h.has('content-length');
  const teChunked = te.length > 0 && finalCodingChunked(te);
  let chunked = teChunked || opts.chunked === true;
  let extra = '';
  if (isResponse && statusHasNoBody(m.status)) {
    if (body.length > 0 || opts.chunked) throw new RangeError(`a ${m.status} response has no content`);
    chunked = false;
  } else if (chunked) {
    if (hasLength) throw new RangeError('Content-Length together with chunked transfer coding');
    if (!teChunked) extra = 'Transfer-Encoding: chunked\r\n';
  } else if (te.length > 0) {
    if (!isResponse) throw new RangeError('a request with Transfer-Encoding must end in chunked');
  } else if (hasLength) {
    const cl = h.get('content-length')!;
    if (body.length > 0 && cl !== String(body.length)) {
      throw new RangeError(`Content-Length ${cl} does not match a ${body.length}-byte body`);
    }
  } else if (isResponse || body.length > 0) {
    extra = `Content-Length: ${body.length}\r\n`;
  }
  if (!chunked && m.trailers.size > 0) throw new RangeError('trailer fields need the chunked transfer coding');
  const head = `${headText(m)}${extra}\r\n`;
  if (!chunked) {
    const out = new Uint8Array(head.length + body.length);
    out.set(body, latin1Bytes(head, out, 0));
    return out;
  }
  const sizeLine = body.length > 0 ? `${body.length.toString(16)}\r\n` : '';
  const tail = `${body.length > 0 ? '\r\n' : ''}0\r\n${fieldsText(m.trailers)}\r\n`;
  const out = new Uint8Array(head.length + sizeLine.length + body.length + tail.length);
  let o = latin1Bytes(sizeLine, out, latin1Bytes(head, out, 0));
  out.set(body, o);
  o += body.length;
  latin1Bytes(tail, out, o);
  return out;
}

/**
 * The request on the wire. Content-Length is added when the body is non-empty and no framing field
 * is set; `chunked` sends the body (and trailers) chunked. No field is added otherwise (no Date).
 */
export function encodeRequest(req: HttpRequest, opts: HttpEncodeOptions = {}): Uint8Array {
  return encodeMessage(req, opts);
}

/**
 * The response on the wire. Content-Length is added when no framing field is set (a response without
 * one would be read until close), except for 1xx/204/304. For a response to HEAD, set Content-Length
 * yourself and leave the body empty. No Date is added: callers pass it.
 */
export function encodeResponse(res: HttpResponse, opts: HttpEncodeOptions = {}): Uint8Array {
  return encodeMessage(res, opts);
}

/**
 * Only the head (start line, fields, empty line) for streaming a body afterwards with `encodeChunk`
 * and `encodeLastChunk` (`chunked` adds `Transfer-Encoding: chunked` if absent) or raw bytes.
 */
export function encodeHead(m: HttpMessage, opts: HttpEncodeOptions = {}): Uint8Array {
  const te = m.headers.getAll('transfer-encoding');
  const extra = opts.chunked && !(te.length > 0 && finalCodingChunked(te)) ? 'Transfer-Encoding: chunked\r\n' : '';
  return textBytes(`${headText(m)}${extra}\r\n`);
}

/** One chunk (RFC 9112 §7.1): size, optional extension text (e.g. `;name=value`), data, CRLF. */
export function encodeChunk(data: Uint8Array, extension = ''): Uint8Array {
  if (data.length === 0) throw new RangeError('an empty chunk would end the body; use encodeLastChunk');
  const ext = textBytes(extension);
  if (ext.length > 0 && !validChunkExt(ext, 0, ext.length)) throw new RangeError(`invalid chunk extension ${JSON.stringify(extension)}`);
  const size = `${data.length.toString(16)}${extension}\r\n`;
  const out = new Uint8Array(size.length + data.length + 2);
  out.set(data, latin1Bytes(size, out, 0));
  out[out.length - 2] = CR;
  out[out.length - 1] = LF;
  return out;
}

/** The last chunk and trailer section that end a chunked body (RFC 9112 §7.1, §7.1.2). */
export function encodeLastChunk(trailers?: HttpHeadersInit): Uint8Array {
  return textBytes(`0\r\n${trailers === undefined ? '' : fieldsText(toHeaders(trailers))}\r\n`);
}

/** One line of a message head: bytes [start, end) without the line end; the next line starts at `next`. */
export interface HttpHeadLine {
  readonly start: number;
  readonly end: number;
  readonly next: number;
}

/**
 * The lines of the message head at the start of `bytes` (for dissectors that show each line's bytes):
 * CRLF or bare LF ends a line (RFC 9112 §2.2); stops after the empty line that ends the head, at the
 * end of the bytes (an unterminated last line is included), or after `max` lines. Never throws.
 */
export function httpHeadLines(bytes: Uint8Array, max = 200): HttpHeadLine[] {
  const out: HttpHeadLine[] = [];
  let i = 0;
  while (i < bytes.length && out.length < max) {
    let j = i;
    while (j < bytes.length && bytes[j] !== LF) j++;
    const next = j < bytes.length ? j + 1 : j;
    const end = j > i && bytes[j - 1] === CR ? j - 1 : j;
    out.push({ start: i, end, next });
    if (end === i && next > i) break;
    i = next;
  }
  return out;
}
