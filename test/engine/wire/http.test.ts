import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HttpHeaders,
  type HttpKind,
  type HttpMessage,
  HttpParser,
  type HttpParserOptions,
  HttpRequest,
  HttpResponse,
  encodeChunk,
  encodeHead,
  encodeLastChunk,
  encodeRequest,
  encodeResponse,
  httpReasonPhrase,
  parseHttpRequest,
  parseHttpResponse,
} from '../../../engine/wire/http.ts';
import { must } from '../../support/result.ts';
import { fuzzDecoder, mutated } from '../../support/fuzz.ts';

const te = new TextEncoder();
const td = new TextDecoder();
const bytes = (s: string): Uint8Array => te.encode(s);
/** ISO-8859-1 text of bytes, for exact comparisons. */
const latin1 = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

// curl 7.88.1 against an EC2 instance (copied from a tcpdump -A of the first data segment).
const CURL_GET = 'GET / HTTP/1.1\r\nHost: 13.246.100.25\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n';
// nginx answering it.
const NGINX_200 =
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 03 Jun 2024 09:12:44 GMT\r\nContent-Type: text/html\r\n' +
  'Content-Length: 45\r\nLast-Modified: Mon, 03 Jun 2024 08:58:02 GMT\r\nConnection: keep-alive\r\n' +
  'ETag: "665d8a1a-2d"\r\nAccept-Ranges: bytes\r\n\r\n<html><body><h1>It works!</h1></body></html>\n';
// The chunked example of RFC 9112 §7.1 / MDN, with a chunk extension and a trailer field.
const CHUNKED_TRAILERS =
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: Expires\r\n\r\n' +
  '7\r\nMozilla\r\n11;name=value;q="a \\"b\\""\r\nDeveloper Network\r\n0\r\nExpires: Wed, 21 Oct 2015 07:28:00 GMT\r\n\r\n';
// A form POST as a browser sends it.
const FORM_POST =
  'POST /login HTTP/1.1\r\nHost: app.example\r\nContent-Type: application/x-www-form-urlencoded\r\n' +
  'Content-Length: 27\r\nConnection: keep-alive\r\n\r\nuser=alice&password=s3cr3t!';

interface Outcome {
  messages: unknown[];
  error: unknown;
}

/** A plain, comparable picture of a message. */
function picture(m: HttpMessage): unknown {
  const common = {
    version: m.version,
    headers: m.headers.list,
    body: latin1(m.body),
    trailers: m.trailers.list,
    keepAlive: m.keepAlive,
    text: m.toString(),
  };
  return m instanceof HttpRequest
    ? { method: m.method, target: m.target, ...common }
    : { status: m.status, reason: m.reason, closeDelimited: m.closeDelimited, ...common };
}

/** Feeds `data` cut at `cuts` (sorted offsets) and closes the stream. */
function feed(kind: HttpKind, data: Uint8Array, cuts: readonly number[], methods: readonly string[] = [], opts?: HttpParserOptions): Outcome {
  const p = new HttpParser(kind, opts);
  for (const m of methods) p.expectResponseTo(m);
  const messages: unknown[] = [];
  let prev = 0;
  for (const c of [...cuts, data.length]) {
    p.push(data.subarray(prev, c));
    prev = c;
    for (let m; (m = p.next()); ) messages.push(picture(m));
  }
  p.end();
  for (let m; (m = p.next()); ) messages.push(picture(m));
  return { messages, error: p.error };
}

function mustRequest(s: string | Uint8Array): HttpRequest {
  return must(parseHttpRequest(typeof s === 'string' ? bytes(s) : s));
}

function mustResponse(s: string | Uint8Array, requestMethod?: string): HttpResponse {
  return must(parseHttpResponse(typeof s === 'string' ? bytes(s) : s, requestMethod === undefined ? {} : { requestMethod }));
}

describe('http', function () {
  describe('real messages', function () {
    it('curl GET: request line, headers in order with original case, case-insensitive lookup', function () {
      const req = mustRequest(CURL_GET);
      assert.equal(req.method, 'GET');
      assert.equal(req.target, '/');
      assert.equal(req.version, 'HTTP/1.1');
      assert.deepEqual(req.headers.list, [
        ['Host', '13.246.100.25'],
        ['User-Agent', 'curl/7.88.1'],
        ['Accept', '*/*'],
      ]);
      assert.equal(req.headers.get('host'), '13.246.100.25');
      assert.equal(req.headers.get('USER-AGENT'), 'curl/7.88.1');
      assert.equal(req.headers.get('Cookie'), undefined);
      assert.equal(req.body.length, 0);
      assert.equal(req.keepAlive, true);
      assert.equal(req.toString(), 'GET / HTTP/1.1');
    });

    it('nginx 200 with Content-Length: body, Info-column text', function () {
      const res = mustResponse(NGINX_200);
      assert.equal(res.status, 200);
      assert.equal(res.reason, 'OK');
      assert.equal(res.headers.size, 8);
      assert.equal(res.headers.get('etag'), '"665d8a1a-2d"');
      assert.equal(res.bodyText(), '<html><body><h1>It works!</h1></body></html>\n');
      assert.equal(res.keepAlive, true);
      assert.equal(res.closeDelimited, false);
      assert.equal(res.toString(), 'HTTP/1.1 200 OK  (text/html)');
    });

    it('chunked response with extensions and a trailer', function () {
      const res = mustResponse(CHUNKED_TRAILERS);
      assert.equal(res.bodyText(), 'MozillaDeveloper Network');
      assert.deepEqual(res.trailers.list, [['Expires', 'Wed, 21 Oct 2015 07:28:00 GMT']]);
      assert.equal(res.headers.get('expires'), undefined, 'trailers are not merged into the header section');
      assert.equal(res.toString(), 'HTTP/1.1 200 OK  (text/plain)');
    });

    it('form POST with a Content-Length body', function () {
      const req = mustRequest(FORM_POST);
      assert.equal(req.toString(), 'POST /login HTTP/1.1');
      assert.equal(req.bodyText(), 'user=alice&password=s3cr3t!');
    });

    it('field values: OWS trimmed, inner whitespace kept, repeated names combined by get', function () {
      const req = mustRequest('GET /a?b=c HTTP/1.1\r\nX-A: \t spaced  out \t\r\nX-Empty:\r\nAccept: a\r\naccept: b\r\n\r\n');
      assert.deepEqual(req.headers.list, [
        ['X-A', 'spaced  out'],
        ['X-Empty', ''],
        ['Accept', 'a'],
        ['accept', 'b'],
      ]);
      assert.equal(req.headers.get('ACCEPT'), 'a, b');
      assert.deepEqual(req.headers.getAll('accept'), ['a', 'b']);
      assert.equal(req.target, '/a?b=c');
    });

    it('status line: empty reason with and without the SP, Content-Type parameters dropped in toString', function () {
      const a = mustResponse('HTTP/1.1 204 \r\n\r\n');
      assert.equal(a.reason, '');
      assert.equal(a.toString(), 'HTTP/1.1 204');
      const b = mustResponse('HTTP/1.1 404\r\nContent-Type: Text/HTML; charset=utf-8\r\nContent-Length: 0\r\n\r\n');
      assert.equal(b.status, 404);
      assert.equal(b.reason, '');
      assert.equal(b.toString(), 'HTTP/1.1 404  (text/html)');
      const c = mustResponse('HTTP/1.1 200 Very  OK \r\nContent-Length: 0\r\n\r\n');
      assert.equal(c.reason, 'Very  OK ');
    });

    it('tolerates empty lines before a request and bare LF line ends (RFC 9112 §2.2)', function () {
      const req = mustRequest('\r\n\r\nGET / HTTP/1.1\nHost: x\n\n');
      assert.equal(req.headers.get('host'), 'x');
    });

    it('obs-text in values round-trips byte for byte (ISO-8859-1)', function () {
      const raw = Uint8Array.from([...bytes('GET / HTTP/1.1\r\nX-Name: caf'), 0xe9, ...bytes('\r\n\r\n')]);
      const req = mustRequest(raw);
      assert.equal(req.headers.get('x-name'), 'caf\u00e9');
      assert.deepEqual(encodeRequest(req), raw);
    });
  });

  describe('segmentation', function () {
    const streams: Array<{ name: string; kind: HttpKind; data: string; methods?: string[] }> = [
      { name: 'curl GET', kind: 'request', data: CURL_GET },
      { name: 'form POST', kind: 'request', data: FORM_POST },
      { name: 'pipelined requests', kind: 'request', data: CURL_GET + FORM_POST + 'DELETE /x HTTP/1.0\r\n\r\n' },
      {
        name: 'chunked request',
        kind: 'request',
        data: 'PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x\r\npedia\r\n0\r\nX-Sum: 1\r\n\r\n',
      },
      { name: 'nginx 200', kind: 'response', data: NGINX_200 },
      { name: 'chunked with trailers', kind: 'response', data: CHUNKED_TRAILERS },
      {
        name: 'HEAD, 100-continue, 204, 304 and a close-delimited response',
        kind: 'response',
        methods: ['HEAD', 'POST', 'GET', 'GET', 'GET'],
        data:
          'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n' +
          'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok' +
          'HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n' +
          'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n' +
          'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end\r\n',
      },
    ];

    for (const s of streams) {
      const data = bytes(s.data);
      const whole = feed(s.kind, data, [], s.methods);

      it(`${s.name}: every single split position parses identically`, function () {
        assert.equal(whole.error, null);
        assert.ok(whole.messages.length > 0);
        for (let i = 1; i < data.length; i++) assert.deepEqual(feed(s.kind, data, [i], s.methods), whole, `split at ${i}`);
      });

      it(`${s.name}: one byte at a time and random split points parse identically`, function () {
        const every = Array.from({ length: data.length - 1 }, (_, i) => i + 1);
        assert.deepEqual(feed(s.kind, data, every, s.methods), whole);
        fc.assert(
          fc.property(fc.uniqueArray(fc.integer({ min: 1, max: data.length - 1 }), { maxLength: 12 }), (cuts) => {
            assert.deepEqual(feed(s.kind, data, [...cuts].sort((a, b) => a - b), s.methods), whole);
          }),
          { numRuns: 300 },
        );
      });
    }

    it('split errors are found at the same place as whole-chunk errors', function () {
      const data = bytes('GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n');
      const whole = feed('request', data, []);
      assert.ok(whole.error);
      for (let i = 1; i < data.length; i++) assert.deepEqual(feed('request', data, [i]), whole);
    });
  });

  describe('pipelining and framing', function () {
    it('three pipelined requests in one chunk come out in order', function () {
      const p = new HttpParser('request');
      assert.equal(p.push(bytes(CURL_GET + FORM_POST + CURL_GET)), true);
      assert.deepEqual(
        [p.next(), p.next(), p.next(), p.next()].map((m) => m?.toString() ?? null),
        ['GET / HTTP/1.1', 'POST /login HTTP/1.1', 'GET / HTTP/1.1', null],
      );
      assert.equal(p.idle, true);
    });

    it('a response to HEAD has no body whatever its Content-Length says', function () {
      const p = new HttpParser('response');
      p.expectResponseTo('HEAD');
      p.expectResponseTo('GET');
      p.push(bytes('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'));
      const a = p.next()!;
      const b = p.next()!;
      assert.equal(a.body.length, 0);
      assert.equal(a.headers.get('content-length'), '5');
      assert.equal(b.bodyText(), 'hello');
      assert.equal(p.idle, true);
    });

    it('1xx interim responses do not use up the request method; 204 and 304 have no body', function () {
      const p = new HttpParser('response');
      p.expectResponseTo('HEAD');
      p.push(bytes('HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n'));
      p.push(bytes('HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n'));
      const got = [p.next(), p.next(), p.next(), p.next()];
      assert.deepEqual(got.map((m) => m?.status), [103, 200, 204, 304]);
      assert.ok(got.every((m) => m!.body.length === 0));
      assert.equal(p.idle, true);
    });

    it('read-until-close body ends at end()', function () {
      const p = new HttpParser('response');
      p.push(bytes('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\n\r\npart one, '));
      p.push(bytes('part two'));
      assert.equal(p.next(), null);
      assert.equal(p.end(), null);
      const m = p.next()!;
      assert.equal(m.bodyText(), 'part one, part two');
      assert.equal(m.closeDelimited, true);
      assert.equal(m.keepAlive, false, 'a close-delimited response cannot persist');
    });

    it('a response with Transfer-Encoding not ending in chunked is read until close', function () {
      const p = new HttpParser('response');
      p.push(bytes('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz'));
      p.end();
      assert.equal(p.next()!.bodyText(), 'xyz');
    });

    it('101 Switching Protocols and 2xx to CONNECT stop HTTP parsing; later bytes are tunnel bytes', function () {
      const p = new HttpParser('response');
      p.push(Uint8Array.from([...bytes('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'), 0x81, 0x05]));
      p.push(bytes('hello'));
      assert.equal(p.next()!.status, 101);
      assert.equal(p.upgraded, true);
      assert.equal(latin1(p.takeTunnelBytes()), '\x81\x05hello');
      const q = new HttpParser('response');
      q.expectResponseTo('CONNECT');
      q.push(bytes('HTTP/1.1 200 Connection Established\r\n\r\n\x16\x03\x01'));
      assert.equal(q.next()!.status, 200);
      assert.equal(q.upgraded, true);
      assert.deepEqual(q.takeTunnelBytes(), Uint8Array.of(0x16, 3, 1));
    });

    it('identical Content-Length values (repeated or as a list) are accepted', function () {
      assert.equal(mustRequest('POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc').bodyText(), 'abc');
      assert.equal(mustRequest('POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\nabc').bodyText(), 'abc');
      assert.equal(mustRequest('POST / HTTP/1.1\r\nContent-Length: 003\r\n\r\nabc').bodyText(), 'abc');
    });

    it('one-shot parse returns the first message and reports a missing body as truncated', function () {
      assert.equal(mustRequest(CURL_GET + 'garbage\r\n').method, 'GET');
      const r = parseHttpRequest(bytes('POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc'));
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error.kind, 'truncated');
      const e = parseHttpRequest(new Uint8Array(0));
      assert.equal(!e.ok && e.error.kind, 'truncated');
      assert.equal(mustResponse('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n', 'HEAD').body.length, 0);
    });
  });

  describe('keep-alive (RFC 9112 §9.3)', function () {
    const cases: Array<[string, string, boolean]> = [
      ['HTTP/1.1', '', true],
      ['HTTP/1.1', 'Connection: close\r\n', false],
      ['HTTP/1.1', 'Connection: Keep-Alive, CLOSE\r\n', false],
      ['HTTP/1.1', 'Connection: Upgrade\r\n', true],
      ['HTTP/1.0', '', false],
      ['HTTP/1.0', 'Connection: keep-alive\r\n', true],
      ['HTTP/1.0', 'Connection: Keep-Alive\r\n', true],
      ['HTTP/1.0', 'Connection: keep-alive\r\nConnection: close\r\n', false],
    ];
    for (const [v, h, want] of cases) {
      it(`${v} ${JSON.stringify(h)} → keepAlive ${want}`, function () {
        assert.equal(mustRequest(`GET / ${v}\r\n${h}\r\n`).keepAlive, want);
        assert.equal(mustResponse(`${v} 200 OK\r\n${h}Content-Length: 0\r\n\r\n`).keepAlive, want);
      });
    }
  });

  describe('streaming events', function () {
    it('onHead fires when the header section is complete, onBody per piece, next() after the body', function () {
      const events: string[] = [];
      const p = new HttpParser('request', {
        onHead: (m) => events.push(`head ${m.toString()} body=${m.body.length}`),
        onBody: (c) => events.push(`body ${td.decode(c)}`),
      });
      p.push(bytes('POST /x HTTP/1.1\r\nContent-Length: 6\r\n\r\n'));
      assert.deepEqual(events, ['head POST /x HTTP/1.1 body=0']);
      assert.equal(p.next(), null);
      p.push(bytes('abc'));
      p.push(bytes('defGET / HTTP/1.1\r\n\r\n'));
      assert.deepEqual(events, ['head POST /x HTTP/1.1 body=0', 'body abc', 'body def', 'head GET / HTTP/1.1 body=0']);
      assert.equal(p.next()!.bodyText(), 'abcdef');
      assert.equal(p.next()!.method, 'GET');
    });

    it('bufferBody false leaves the body to onBody', function () {
      const pieces: Uint8Array[] = [];
      const p = new HttpParser('response', { bufferBody: false, onBody: (c) => pieces.push(c) });
      p.push(bytes(CHUNKED_TRAILERS));
      const m = p.next()!;
      assert.equal(m.body.length, 0);
      assert.deepEqual(m.trailers.list, [['Expires', 'Wed, 21 Oct 2015 07:28:00 GMT']]);
      assert.equal(pieces.map((c) => td.decode(c)).join(''), 'MozillaDeveloper Network');
    });
  });

  describe('errors', function () {
    const big = 'a'.repeat(16 * 1024);
    const cases: Array<{ name: string; kind?: HttpKind; input: string; err: string; status: number; message: string | RegExp; opts?: HttpParserOptions }> = [
      { name: 'invalid Content-Length', input: 'POST / HTTP/1.1\r\nContent-Length: 12a\r\n\r\n', err: 'malformed', status: 400, message: 'invalid Content-Length "12a"' },
      { name: 'negative Content-Length', input: 'POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n', err: 'malformed', status: 400, message: 'invalid Content-Length "-1"' },
      { name: 'empty Content-Length', input: 'POST / HTTP/1.1\r\nContent-Length:\r\n\r\n', err: 'malformed', status: 400, message: 'invalid Content-Length ""' },
      { name: 'conflicting Content-Length lines', input: 'POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n', err: 'malformed', status: 400, message: 'conflicting Content-Length values 5 and 6' },
      { name: 'conflicting Content-Length list', input: 'POST / HTTP/1.1\r\nContent-Length: 5, 50\r\n\r\n', err: 'malformed', status: 400, message: 'conflicting Content-Length values 5 and 50' },
      { name: 'huge Content-Length', input: 'POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n', err: 'unsupported', status: 413, message: /too large/ },
      { name: 'Content-Length with Transfer-Encoding (smuggling)', input: 'POST / HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n', err: 'malformed', status: 400, message: 'Content-Length together with Transfer-Encoding' },
      { name: 'unknown transfer coding', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: br, chunked\r\n\r\n', err: 'unsupported', status: 501, message: 'unknown transfer coding "br"' },
      { name: 'request coding not ending in chunked', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n', err: 'malformed', status: 400, message: /not the final transfer coding/ },
      { name: 'chunked twice', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', err: 'malformed', status: 400, message: /more than once/ },
      { name: 'Transfer-Encoding in HTTP/1.0', input: 'POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', err: 'malformed', status: 400, message: /HTTP\/1\.0/ },
      { name: 'obs-fold', input: 'GET / HTTP/1.1\r\nX-A: one\r\n two\r\n\r\n', err: 'malformed', status: 400, message: /obs-fold/ },
      { name: 'whitespace after the start line', input: 'GET / HTTP/1.1\r\n Host: x\r\n\r\n', err: 'malformed', status: 400, message: /whitespace between start line/ },
      { name: 'whitespace before the colon', input: 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', err: 'malformed', status: 400, message: /whitespace between header field name and colon/ },
      { name: 'field line without colon', input: 'GET / HTTP/1.1\r\nHost\r\n\r\n', err: 'malformed', status: 400, message: /no colon/ },
      { name: 'empty field name', input: 'GET / HTTP/1.1\r\n: x\r\n\r\n', err: 'malformed', status: 400, message: /empty header field name/ },
      { name: 'NUL in a field value', input: 'GET / HTTP/1.1\r\nX: a\0b\r\n\r\n', err: 'malformed', status: 400, message: /0x00 in X field value/ },
      { name: 'bare CR in a field value', input: 'GET / HTTP/1.1\r\nX: a\rb\r\n\r\n', err: 'malformed', status: 400, message: /0x0d/ },
      { name: 'bad method', input: 'G(T / HTTP/1.1\r\n\r\n', err: 'malformed', status: 400, message: /method/ },
      { name: 'HTTP/0.9 request', input: 'GET /\r\n\r\n', err: 'malformed', status: 400, message: /no HTTP version/ },
      { name: 'two spaces in the request line', input: 'GET  / HTTP/1.1\r\n\r\n', err: 'malformed', status: 400, message: /empty request-target/ },
      { name: 'bad version', input: 'GET / HTTP/1.10\r\n\r\n', err: 'malformed', status: 400, message: /invalid HTTP version/ },
      { name: 'lower-case version', input: 'GET / http/1.1\r\n\r\n', err: 'malformed', status: 400, message: /invalid HTTP version/ },
      { name: 'HTTP/2.0 in a 1.x request line', input: 'GET / HTTP/2.0\r\n\r\n', err: 'unsupported', status: 505, message: 'unsupported HTTP version HTTP/2.0' },
      { name: 'request line over 16 KiB', input: `GET /${big} HTTP/1.1\r\n\r\n`, err: 'malformed', status: 414, message: /request line longer than 16384/ },
      { name: 'header line over 16 KiB', input: `GET / HTTP/1.1\r\nX: ${big}\r\n\r\n`, err: 'malformed', status: 431, message: /header field line longer than 16384/ },
      {
        name: 'header section over 64 KiB',
        input: `GET / HTTP/1.1\r\n${Array.from({ length: 5 }, (_, i) => `X${i}: ${'b'.repeat(15000)}\r\n`).join('')}\r\n`,
        err: 'malformed',
        status: 431,
        message: /header section longer than 65536/,
      },
      { name: 'too many fields', input: `GET / HTTP/1.1\r\n${'A: b\r\n'.repeat(4)}\r\n`, err: 'malformed', status: 431, message: /more than 3 header fields/, opts: { maxHeaders: 3 } },
      { name: 'body over the limit (Content-Length)', input: 'POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n', err: 'unsupported', status: 413, message: /exceeds the limit of 10/, opts: { maxBodyBytes: 10 } },
      {
        name: 'body over the limit (chunked)',
        input: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n',
        err: 'unsupported',
        status: 413,
        message: /exceeds the limit of 10/,
        opts: { maxBodyBytes: 10 },
      },
      { name: 'invalid chunk size', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', err: 'malformed', status: 400, message: 'invalid chunk size' },
      { name: 'chunk size with trailing garbage', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nabcde\r\n', err: 'malformed', status: 400, message: 'invalid chunk extension' },
      { name: 'unterminated quoted chunk extension', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5;a="b\r\nabcde\r\n', err: 'malformed', status: 400, message: 'invalid chunk extension' },
      { name: 'chunk data without CRLF', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n', err: 'malformed', status: 400, message: 'chunk data not followed by CRLF' },
      { name: 'obs-fold in trailers', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: b\r\n c\r\n\r\n', err: 'malformed', status: 400, message: /obs-fold/ },
      { name: 'truncated head', input: 'GET / HTTP/1.1\r\nHost: x\r\n', err: 'truncated', status: 400, message: /inside the header section/ },
      { name: 'truncated start line', input: 'GET / HT', err: 'truncated', status: 400, message: /inside the start line/ },
      { name: 'truncated body', input: 'POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc', err: 'truncated', status: 400, message: 'stream closed after 3 of 10 body bytes' },
      { name: 'truncated chunked body', input: 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab', err: 'truncated', status: 400, message: /inside the chunked body/ },
      { name: 'response: bad status code', kind: 'response', input: 'HTTP/1.1 2x0 OK\r\n\r\n', err: 'malformed', status: 502, message: 'invalid status code' },
      { name: 'response: status out of range', kind: 'response', input: 'HTTP/1.1 600 Odd\r\n\r\n', err: 'malformed', status: 502, message: /out of range/ },
      { name: 'response: no status code', kind: 'response', input: 'HTTP/1.1\r\n\r\n', err: 'malformed', status: 502, message: /no status code/ },
      { name: 'response: not HTTP', kind: 'response', input: 'SSH-2.0-OpenSSH_9.2\r\n', err: 'malformed', status: 502, message: /invalid HTTP version/ },
      { name: 'response: CL with TE', kind: 'response', input: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', err: 'malformed', status: 502, message: 'Content-Length together with Transfer-Encoding' },
      { name: 'response: truncated body', kind: 'response', input: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na', err: 'truncated', status: 502, message: /1 of 3/ },
    ];
    for (const c of cases) {
      it(`${c.name} → ${c.err} ${c.status}`, function () {
        const p = new HttpParser(c.kind ?? 'request', c.opts);
        p.push(bytes(c.input));
        p.end();
        const e = p.error;
        assert.ok(e, 'expected an error');
        assert.equal(e.layer, 'http');
        assert.equal(e.kind, c.err);
        assert.equal(e.status, c.status);
        if (typeof c.message === 'string') assert.equal(e.message, c.message);
        else assert.match(e.message, c.message);
        // The one-shot parser reports the same failure as a Result.
        const r = (c.kind ?? 'request') === 'request' ? parseHttpRequest(bytes(c.input), c.opts) : parseHttpResponse(bytes(c.input), c.opts);
        assert.equal(r.ok, false);
        assert.deepEqual(!r.ok && r.error, e);
      });
    }

    it('limits are enforced before the line ends (no unbounded buffering)', function () {
      const p = new HttpParser('request');
      assert.equal(p.push(bytes('GET / HTTP/1.1\r\nX: ')), true);
      assert.equal(p.push(new Uint8Array(20000).fill(0x61)), false);
      assert.equal(p.error!.status, 431);
      const q = new HttpParser('request', { maxLineBytes: 100, maxHeaderBytes: 200 });
      q.push(bytes('GET / HTTP/1.1\r\n'));
      for (let i = 0; i < 5 && !q.error; i++) q.push(bytes(`X-${i}: ${'v'.repeat(50)}\r\n`));
      assert.match(q.error!.message, /header section longer than 200/);
    });

    it('a line of exactly the limit is accepted', function () {
      const p = new HttpParser('request', { maxLineBytes: 40 });
      const line = `X: ${'v'.repeat(37)}`;
      assert.equal(line.length, 40);
      p.push(bytes(`GET / HTTP/1.1\r\n${line}\r\n\r\n`));
      assert.equal(p.error, null);
      assert.equal(p.next()!.headers.get('x')!.length, 37);
    });

    it('after an error the parser ignores input and push returns false', function () {
      const p = new HttpParser('request');
      assert.equal(p.push(bytes('GET / HTTP/1.1\r\nBad Name: x\r\n\r\n')), false);
      const e = p.error;
      assert.equal(p.push(bytes(CURL_GET)), false);
      assert.equal(p.next(), null);
      assert.equal(p.end(), e);
    });

    it('error offsets point into the stream', function () {
      const p = new HttpParser('request');
      p.push(bytes(CURL_GET));
      p.push(bytes('GET / HTTP/1.1\r\nX: 1\r\nHost : y\r\n\r\n'));
      assert.equal(p.error!.offset, CURL_GET.length + 'GET / HTTP/1.1\r\nX: 1\r\n'.length);
    });
  });

  describe('serializer', function () {
    it('constructs the curl request byte for byte', function () {
      const req = new HttpRequest({ headers: [['Host', '13.246.100.25'], ['User-Agent', 'curl/7.88.1'], ['Accept', '*/*']] });
      assert.equal(latin1(encodeRequest(req)), CURL_GET);
      assert.equal(latin1(req.encode()), CURL_GET);
    });

    it('re-emits the parsed nginx response and chunked response unchanged', function () {
      assert.equal(latin1(encodeResponse(mustResponse(NGINX_200))), NGINX_200);
      const res = mustResponse(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n18\r\nMozillaDeveloper Network\r\n0\r\nExpires: never\r\n\r\n',
      );
      assert.equal(
        latin1(encodeResponse(res)),
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n18\r\nMozillaDeveloper Network\r\n0\r\nExpires: never\r\n\r\n',
      );
    });

    it('adds Content-Length for a body and for any response without framing, never Date', function () {
      assert.equal(latin1(encodeRequest(new HttpRequest({ method: 'POST', body: 'abc' }))), 'POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc');
      assert.equal(latin1(encodeResponse(new HttpResponse({ status: 404 }))), 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      assert.equal(latin1(encodeResponse(new HttpResponse({ status: 204 }))), 'HTTP/1.1 204 No Content\r\n\r\n');
      assert.equal(latin1(encodeResponse(new HttpResponse({ status: 304, headers: { ETag: '"x"' } }))), 'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n');
      const head = new HttpResponse({ headers: { 'Content-Length': '1234' } });
      assert.equal(latin1(encodeResponse(head)), 'HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n', 'a HEAD response keeps its length');
      const dated = new HttpResponse({ headers: { Date: 'Mon, 03 Jun 2024 09:12:44 GMT' }, body: 'x' });
      assert.deepEqual(mustResponse(encodeResponse(dated)).headers.getAll('date'), ['Mon, 03 Jun 2024 09:12:44 GMT']);
      assert.equal(new HttpResponse({ status: 502 }).reason, 'Bad Gateway');
      assert.equal(httpReasonPhrase(431), 'Request Header Fields Too Large');
    });

    it('chunked option: Transfer-Encoding added, body and trailers chunked', function () {
      const res = new HttpResponse({ headers: { 'Content-Type': 'text/plain' }, body: 'hello', trailers: { 'X-Checksum': 'abc' } });
      assert.equal(
        latin1(encodeResponse(res, { chunked: true })),
        'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Checksum: abc\r\n\r\n',
      );
      assert.equal(latin1(encodeRequest(new HttpRequest({ method: 'PUT' }), { chunked: true })), 'PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    });

    it('streams: encodeHead + encodeChunk + encodeLastChunk parse back', function () {
      const req = new HttpRequest({ method: 'POST', target: '/upload', headers: { Host: 'h' } });
      const wire = [encodeHead(req, { chunked: true }), encodeChunk(bytes('abc'), ';n=1'), encodeChunk(bytes('defg')), encodeLastChunk([['X-T', '1']])];
      assert.equal(latin1(wire[1]!), '3;n=1\r\nabc\r\n');
      const p = new HttpParser('request');
      for (const w of wire) p.push(w);
      const m = p.next()!;
      assert.equal(m.bodyText(), 'abcdefg');
      assert.deepEqual(m.trailers.list, [['X-T', '1']]);
      assert.equal(m.headers.get('transfer-encoding'), 'chunked');
    });

    it('throws on values that cannot be written (programmer errors)', function () {
      const bad: Array<() => unknown> = [
        () => encodeRequest(new HttpRequest({ headers: { X: 'a\r\nInjected: 1' } })),
        () => encodeRequest(new HttpRequest({ headers: { 'Bad Name': 'x' } })),
        () => encodeRequest(new HttpRequest({ method: 'GE T' })),
        () => encodeRequest(new HttpRequest({ target: '/a b' })),
        () => encodeRequest(new HttpRequest({ version: 'HTTP/1' })),
        () => encodeRequest(new HttpRequest({ headers: { X: '\u20ac' } })),
        () => encodeResponse(new HttpResponse({ status: 99 })),
        () => encodeResponse(new HttpResponse({ reason: 'O\nK' })),
        () => encodeResponse(new HttpResponse({ status: 204, body: 'x' })),
        () => encodeResponse(new HttpResponse({ headers: { 'Content-Length': '2' }, body: 'abc' })),
        () => encodeResponse(new HttpResponse({ headers: { 'Content-Length': '3' }, body: 'abc' }), { chunked: true }),
        () => encodeResponse(new HttpResponse({ trailers: { A: 'b' } })),
        () => encodeChunk(new Uint8Array(0)),
        () => encodeChunk(bytes('x'), 'bad'),
      ];
      for (const f of bad) assert.throws(f, RangeError);
    });

    it('HttpHeaders helpers keep order and case', function () {
      const h = new HttpHeaders([['Set-Cookie', 'a=1'], ['Host', 'x'], ['set-cookie', 'b=2']]);
      assert.deepEqual(h.getAll('SET-COOKIE'), ['a=1', 'b=2']);
      h.set('HOST', 'y');
      assert.deepEqual(h.list, [['Set-Cookie', 'a=1'], ['HOST', 'y'], ['set-cookie', 'b=2']]);
      h.add('X-Forwarded-For', '10.0.0.1');
      assert.equal(h.delete('set-cookie'), 2);
      assert.deepEqual([...h], [['HOST', 'y'], ['X-Forwarded-For', '10.0.0.1']]);
      assert.equal(h.toString(), 'HOST: y\r\nX-Forwarded-For: 10.0.0.1\r\n');
      assert.ok(h.clone().list !== h.list);
    });
  });

  describe('properties', function () {
    const FRAMING = new Set(['content-length', 'transfer-encoding']);
    const token = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
    const name = token.filter((n) => !FRAMING.has(n.toLowerCase()));
    const value = fc.stringMatching(/^([!-~\x80-\xff]([ \t!-~\x80-\xff]{0,20}[!-~\x80-\xff])?)?$/);
    const fields = fc.array(fc.tuple(name, value), { maxLength: 8 });
    const body = fc.uint8Array({ maxLength: 64 });
    const request = fc
      .record({
        method: token,
        target: fc.stringMatching(/^\/[!-~]{0,30}$/),
        version: fc.constantFrom('HTTP/1.0', 'HTTP/1.1'),
        headers: fields,
        body,
        trailers: fields,
        chunked: fc.boolean(),
      })
      .map(({ chunked, trailers, ...r }) => {
        const useChunked = chunked && r.version === 'HTTP/1.1';
        return { msg: new HttpRequest({ ...r, trailers: useChunked ? trailers : [] }), chunked: useChunked };
      });
    const response = fc
      .record({
        version: fc.constantFrom('HTTP/1.0', 'HTTP/1.1'),
        status: fc.integer({ min: 100, max: 599 }),
        reason: fc.stringMatching(/^[ -~]{0,20}$/),
        headers: fields,
        body,
        trailers: fields,
        chunked: fc.boolean(),
      })
      .map(({ chunked, trailers, body, ...r }) => {
        const noBody = r.status < 200 || r.status === 204 || r.status === 304;
        const useChunked = chunked && !noBody && r.version === 'HTTP/1.1';
        return { msg: new HttpResponse({ ...r, body: noBody ? new Uint8Array(0) : body, trailers: useChunked ? trailers : [] }), chunked: useChunked };
      });

    function assertSame(a: HttpMessage, b: HttpMessage): void {
      const framing = b.headers.list.slice(a.headers.size);
      assert.deepEqual(b.headers.list.slice(0, a.headers.size), a.headers.list);
      assert.ok(framing.every(([n]) => FRAMING.has(n.toLowerCase())), `unexpected extra fields ${JSON.stringify(framing)}`);
      assert.equal(latin1(b.body), latin1(a.body));
      assert.deepEqual(b.trailers.list, a.trailers.list);
      assert.equal(b.version, a.version);
      if (a instanceof HttpRequest && b instanceof HttpRequest) {
        assert.equal(b.method, a.method);
        assert.equal(b.target, a.target);
      } else if (a instanceof HttpResponse && b instanceof HttpResponse) {
        assert.equal(b.status, a.status);
        assert.equal(b.reason, a.reason);
      } else assert.fail('kind changed');
    }

    it('encode → parse gives the request back; re-encoding the parse is byte-identical', function () {
      fc.assert(
        fc.property(request, ({ msg, chunked }) => {
          const wire = encodeRequest(msg, { chunked });
          const back = mustRequest(wire);
          assertSame(msg, back);
          assert.deepEqual(encodeRequest(back), wire);
        }),
        { numRuns: 2000 },
      );
    });

    it('encode → parse gives the response back; re-encoding the parse is byte-identical', function () {
      fc.assert(
        fc.property(response, ({ msg, chunked }) => {
          const wire = encodeResponse(msg, { chunked });
          const back = mustResponse(wire);
          assertSame(msg, back);
          assert.deepEqual(encodeResponse(back), wire);
        }),
        { numRuns: 2000 },
      );
    });

    it('a random pipelined stream cut at random points parses into the same messages', function () {
      fc.assert(
        fc.property(
          fc.array(request, { minLength: 1, maxLength: 4 }),
          fc.uniqueArray(fc.nat(), { maxLength: 10 }),
          (reqs, rawCuts) => {
            const parts = reqs.map(({ msg, chunked }) => encodeRequest(msg, { chunked }));
            const data = Buffer.concat(parts);
            const cuts = [...new Set(rawCuts.map((c) => (c % Math.max(1, data.length - 1)) + 1))].filter((c) => c < data.length).sort((a, b) => a - b);
            const whole = feed('request', data, []);
            assert.equal(whole.error, null);
            assert.equal(whole.messages.length, reqs.length);
            assert.deepEqual(feed('request', data, cuts), whole);
          },
        ),
        { numRuns: 1000 },
      );
    });
  });

  describe('fuzz', function () {
    this.timeout(600_000);
    const samples = [CURL_GET, NGINX_200, CHUNKED_TRAILERS, FORM_POST].map(bytes);
    const token = fc.stringMatching(/^[A-Za-z-]{1,10}$/);
    const fieldArb = fc.array(fc.tuple(token, fc.stringMatching(/^[ -~]{0,16}$/)), { maxLength: 5 });
    const reqArb = fc.oneof(
      fc.constantFrom(...samples.filter((b) => latin1(b).startsWith('GET') || latin1(b).startsWith('POST'))),
      fc
        .record({ method: fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'), headers: fieldArb, body: fc.uint8Array({ maxLength: 40 }), chunked: fc.boolean() })
        .map(({ chunked, headers, ...r }) =>
          encodeRequest(new HttpRequest({ ...r, headers: headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n)) }), { chunked }),
        ),
    );
    const resArb = fc.oneof(
      fc.constantFrom(...samples.filter((b) => latin1(b).startsWith('HTTP'))),
      fc
        .record({ status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304), headers: fieldArb, body: fc.uint8Array({ maxLength: 40 }), chunked: fc.boolean() })
        .map(({ chunked, headers, ...r }) =>
          encodeResponse(new HttpResponse({ ...r, headers: headers.filter(([n]) => !/^(content-length|transfer-encoding)$/i.test(n)) }), { chunked }),
        ),
    );

    it('fuzzDecoder(parseHttpRequest): random and mutated requests never throw', function () {
      fuzzDecoder(parseHttpRequest, reqArb);
    });

    it('fuzzDecoder(parseHttpResponse): random and mutated responses never throw', function () {
      fuzzDecoder(parseHttpResponse, resArb);
    });

    it('mutated streams fed in pieces never throw and agree with the whole-chunk parse', function () {
      fc.assert(
        fc.property(fc.array(fc.oneof(reqArb, mutated(reqArb)), { minLength: 1, maxLength: 3 }), fc.uniqueArray(fc.nat(), { maxLength: 6 }), (parts, rawCuts) => {
          const data = Buffer.concat(parts);
          if (data.length < 2) return;
          const cuts = [...new Set(rawCuts.map((c) => (c % (data.length - 1)) + 1))].sort((a, b) => a - b);
          assert.deepEqual(feed('request', data, cuts), feed('request', data, []));
        }),
        { numRuns: 5000 },
      );
    });
  });
});
