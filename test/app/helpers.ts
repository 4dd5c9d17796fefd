/** Shared helpers for the app tests: a fake engine host and an HTTP client that keeps its cookie. */
import { request } from 'node:http';
import type { HostLike } from '../../app/web/server.ts';

export class FakeHost implements HostLike {
  readonly calls: { method: string; args: readonly unknown[] }[] = [];
  private listeners = new Set<(name: string, payload: unknown) => void>();
  call(method: string, args: readonly unknown[]): Promise<unknown> {
    this.calls.push({ method, args });
    return Promise.resolve(method === 'labs.list' ? [] : null);
  }
  onEvent(fn: (name: string, payload: unknown) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
  emit(name: string, payload: unknown): void {
    for (const l of this.listeners) l(name, payload);
  }
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
