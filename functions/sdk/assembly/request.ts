// The request a handler receives, decoded from the host's ABI v1 buffer.
import { Headers } from "./headers";
import { JSONValue, parseJSON } from "./json";

/** An HTTP request as the function sees it. */
export class Request {
  /** Upper-case method, e.g. "GET". */
  method: string = "GET";
  /** Path below the function's route, starting with "/" (e.g. "/items/7" for /fn/name/items/7). */
  path: string = "/";
  /** Raw query string without "?", e.g. "a=1&b=two". */
  query: string = "";
  headers: Headers = new Headers();
  body: Uint8Array = new Uint8Array(0);

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

@inline function readU32(ptr: usize): u32 { return load<u32>(ptr); }

function readString(ptr: usize, cursor: usize): string {
  const len = readU32(ptr + cursor);
  return String.UTF8.decodeUnsafe(ptr + cursor + 4, <usize>len);
}

/** Decodes an ABI v1 request buffer (layout in runtime/abi/README.md). */
export function decodeRequest(ptr: usize, len: usize): Request {
  const req = new Request();
  let at: usize = 0;
  req.method = readString(ptr, at); at += 4 + readU32(ptr + at);
  req.path = readString(ptr, at); at += 4 + readU32(ptr + at);
  req.query = readString(ptr, at); at += 4 + readU32(ptr + at);
  const count = readU32(ptr + at); at += 4;
  for (let i: u32 = 0; i < count; i++) {
    const name = readString(ptr, at); at += 4 + readU32(ptr + at);
    const value = readString(ptr, at); at += 4 + readU32(ptr + at);
    req.headers.names.push(name);
    req.headers.values.push(value);
  }
  const bodyLen = readU32(ptr + at); at += 4;
  const body = new Uint8Array(<i32>bodyLen);
  memory.copy(body.dataStart, ptr + at, <usize>bodyLen);
  req.body = body;
  assert(at + bodyLen <= len, "request buffer overrun");
  return req;
}
