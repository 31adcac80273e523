// The response a handler returns, encoded into the host's ABI v1 buffer.
import { Headers } from "./headers";
import { JSONValue } from "./json";

/** An HTTP response. Build one with Response.text / json / bytes and chain .header(). */
export class Response {
  status: i32;
  headers: Headers = new Headers();
  body: Uint8Array;

  constructor(status: i32 = 200, body: Uint8Array = new Uint8Array(0)) {
    this.status = status;
    this.body = body;
  }

  /** A text/plain UTF-8 response. */
  static text(text: string, status: i32 = 200): Response {
    return Response.bytes(Uint8Array.wrap(String.UTF8.encode(text)), "text/plain; charset=utf-8", status);
  }

  /** An application/json response from a JSON value. */
  static json(value: JSONValue, status: i32 = 200): Response {
    return Response.bytes(Uint8Array.wrap(String.UTF8.encode(value.toString())), "application/json", status);
  }

  /** A response with raw bytes and a content type. */
  static bytes(body: Uint8Array, contentType: string = "application/octet-stream", status: i32 = 200): Response {
    const r = new Response(status, body);
    r.headers.set("content-type", contentType);
    return r;
  }

  /** Sets a header; returns this for chaining. */
  header(name: string, value: string): Response {
    this.headers.set(name, value);
    return this;
  }
}

function encodedSize(s: string): usize {
  return 4 + <usize>String.UTF8.byteLength(s);
}

function writeString(s: string, at: usize): usize {
  const n = String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at + 4);
  store<u32>(at, <u32>n);
  return at + 4 + n;
}

/** Encodes into a fresh heap block: u32 length of the rest, then status, headers, body. */
export function encodeResponse(res: Response): usize {
  let size: usize = 4 + 4 + 4 + 4 + <usize>res.body.byteLength;
  const h = res.headers;
  for (let i = 0; i < h.names.length; i++) size += encodedSize(h.names[i]) + encodedSize(h.values[i]);
  const ptr = heap.alloc(size + 4);
  store<u32>(ptr, <u32>size);
  let at = ptr + 4;
  store<u32>(at, <u32>res.status); at += 4;
  store<u32>(at, <u32>h.names.length); at += 4;
  for (let i = 0; i < h.names.length; i++) {
    at = writeString(h.names[i], at);
    at = writeString(h.values[i], at);
  }
  store<u32>(at, <u32>res.body.byteLength); at += 4;
  memory.copy(at, res.body.dataStart, <usize>res.body.byteLength);
  return ptr;
}
