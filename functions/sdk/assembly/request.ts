// The request a handler receives, decoded from the host's ABI v1 buffer.
import { Headers } from "./headers";
import { JSONValue, parseJSON } from "./json";

/**
 * An HTTP request as the function sees it. A request from the host keeps its encoded bytes and
 * decodes each part the first time the handler reads it, so unread headers cost nothing.
 */
export class Request {
  /** The host's request buffer (a managed copy), or null for a request built in code. */
  private raw: ArrayBuffer | null = null;
  private pathAt: i32 = 0;
  private queryAt: i32 = 0;
  private headersAt: i32 = 0;
  private bodyAt: i32 = 0;
  private _method: string | null = null;
  private _path: string | null = null;
  private _query: string | null = null;
  private _headers: Headers | null = null;
  private _body: Uint8Array | null = null;

  /** Upper-case method, e.g. "GET". */
  get method(): string {
    const cached = this._method;
    if (cached != null) return cached;
    const v = this.raw != null ? this.stringAt(0) : "GET";
    this._method = v;
    return v;
  }
  set method(v: string) { this._method = v; }

  /** Path below the function's route, starting with "/" (e.g. "/items/7" for /fn/name/items/7). */
  get path(): string {
    const cached = this._path;
    if (cached != null) return cached;
    const v = this.raw != null ? this.stringAt(this.pathAt) : "/";
    this._path = v;
    return v;
  }
  set path(v: string) { this._path = v; }

  /** Raw query string without "?", e.g. "a=1&b=two". */
  get query(): string {
    const cached = this._query;
    if (cached != null) return cached;
    const v = this.raw != null ? this.stringAt(this.queryAt) : "";
    this._query = v;
    return v;
  }
  set query(v: string) { this._query = v; }

  get headers(): Headers {
    const cached = this._headers;
    if (cached != null) return cached;
    const h = new Headers();
    const raw = this.raw;
    if (raw != null) {
      const base = changetype<usize>(raw);
      let at = this.headersAt;
      const count = load<u32>(base + <usize>at); at += 4;
      for (let i: u32 = 0; i < count; i++) {
        h.names.push(this.stringAt(at)); at += 4 + <i32>load<u32>(base + <usize>at);
        h.values.push(this.stringAt(at)); at += 4 + <i32>load<u32>(base + <usize>at);
      }
    }
    this._headers = h;
    return h;
  }
  set headers(v: Headers) { this._headers = v; }

  /** The body bytes (a view into the request's own copy of the buffer, so no second copy is made). */
  get body(): Uint8Array {
    const cached = this._body;
    if (cached != null) return cached;
    const raw = this.raw;
    const b = raw != null ? Uint8Array.wrap(raw, this.bodyAt + 4, <i32>load<u32>(changetype<usize>(raw) + <usize>this.bodyAt)) : new Uint8Array(0);
    this._body = b;
    return b;
  }
  set body(v: Uint8Array) { this._body = v; }

  private stringAt(at: i32): string {
    const base = changetype<usize>(this.raw);
    return String.UTF8.decodeUnsafe(base + <usize>at + 4, <usize>load<u32>(base + <usize>at));
  }

  /** Binds a request to its encoded bytes (decodeRequest's job). @internal */
  attach(raw: ArrayBuffer, pathAt: i32, queryAt: i32, headersAt: i32, bodyAt: i32): void {
    this.raw = raw;
    this.pathAt = pathAt;
    this.queryAt = queryAt;
    this.headersAt = headersAt;
    this.bodyAt = bodyAt;
  }

  /** The body decoded as UTF-8. */
  text(): string {
    return String.UTF8.decodeUnsafe(this.body.dataStart, <usize>this.body.byteLength);
  }

  /** The body parsed as JSON, or null when it is not valid JSON. */
  json(): JSONValue | null {
    return parseJSON(this.text());
  }

  /** A header's first value (case-insensitive), or null. */
  header(name: string): string | null {
    return this.headers.get(name);
  }

  /** The first value of query parameter `name`, percent-decoded, or null. */
  param(name: string): string | null {
    if (this.query.length == 0) return null;
    const pairs = this.query.split("&");
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      const eq = pair.indexOf("=");
      const key = eq < 0 ? pair : pair.substring(0, eq);
      if (decodeComponent(key) == name) return eq < 0 ? "" : decodeComponent(pair.substring(eq + 1));
    }
    return null;
  }
}

function decodeComponent(s: string): string {
  return decodeURIComponent(s.replaceAll("+", " "));
}

/** The offset after the length-prefixed field at `at`. */
function skipField(base: usize, at: usize, len: usize): usize {
  assert(at + 4 <= len, "request buffer overrun");
  const next = at + 4 + <usize>load<u32>(base + at);
  assert(next <= len, "request buffer overrun");
  return next;
}

/**
 * Wraps an ABI v1 request buffer (layout in runtime/abi/README.md): copies it into a managed buffer
 * the request owns and finds where each part starts; parts are decoded when first read.
 */
export function decodeRequest(ptr: usize, len: usize): Request {
  const raw = new ArrayBuffer(<i32>len);
  const base = changetype<usize>(raw);
  memory.copy(base, ptr, len);
  const req = new Request();
  let at: usize = 0;
  at = skipField(base, at, len); // method
  const pathAt = at; at = skipField(base, at, len);
  const queryAt = at; at = skipField(base, at, len);
  const headersAt = at;
  assert(at + 4 <= len, "request buffer overrun");
  const count = load<u32>(base + at); at += 4;
  for (let i: u32 = 0; i < count * 2; i++) at = skipField(base, at, len);
  const bodyAt = at;
  assert(at + 4 <= len && at + 4 + <usize>load<u32>(base + at) <= len, "request buffer overrun");
  req.attach(raw, <i32>pathAt, <i32>queryAt, <i32>headersAt, <i32>bodyAt);
  return req;
}
