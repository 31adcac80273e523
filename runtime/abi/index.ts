// ABI v1 between the host and a core module: what a module must export and may import, and how
// request and response buffers cross linear memory. Written down in README.md beside this file.
import { JaegisError } from '../errors.js'
import { MEMORY_IMPORT, METER_IMPORT } from '../wasm/meter.js'

export const ABI_VERSION = 1

/** Exports every ABI v1 module has, with their kinds. */
export const REQUIRED_EXPORTS = [
  ['memory', 'memory'],
  ['__jaegis_alloc', 'function'],
  ['__jaegis_handle', 'function'],
  [`__jaegis_abi_v${ABI_VERSION}`, 'global'],
] as const

/** Imports the host provides, as "module.name". Anything else is refused at load time. */
export const PROVIDED_IMPORTS = new Set(['jaegis.log', 'jaegis.env', 'env.abort', 'env.seed', 'env.trace', `${METER_IMPORT.module}.${METER_IMPORT.name}`, `${METER_IMPORT.module}.${MEMORY_IMPORT}`])

/** Rejects a module built for another ABI or lacking what v1 needs, naming what is wrong. */
export function checkAbi(module: WebAssembly.Module): void {
  const exports = WebAssembly.Module.exports(module)
  const versions = exports.map((e) => /^__jaegis_abi_v(\d+)$/.exec(e.name)?.[1]).filter((v): v is string => v !== undefined)
  if (versions.length > 0 && !versions.includes(String(ABI_VERSION))) {
    throw new JaegisError('ABI_MISMATCH', `module was built for Jaegis ABI v${versions.join(', v')}; this runtime speaks v${ABI_VERSION}`)
  }
  for (const [name, kind] of REQUIRED_EXPORTS) {
    const found = exports.find((e) => e.name === name)
    if (!found) throw new JaegisError('ABI_MISMATCH', `module is missing the export "${name}" (${kind}) that Jaegis ABI v${ABI_VERSION} requires${name.startsWith('__jaegis_abi') ? ': was it built with the Jaegis SDK?' : ''}`)
    if (found.kind !== kind) throw new JaegisError('ABI_MISMATCH', `module export "${name}" is a ${found.kind}, expected a ${kind}`)
  }
  for (const imp of WebAssembly.Module.imports(module)) {
    const key = `${imp.module}.${imp.name}`
    if (!PROVIDED_IMPORTS.has(key)) throw new JaegisError('ABI_MISMATCH', `module imports "${key}" (${imp.kind}), which Jaegis ABI v${ABI_VERSION} does not provide`)
  }
}

/** A request as the host hands it to a function. */
export interface FunctionRequest {
  /** @default "GET" */
  method?: string
  /** Path below the function's route. @default "/" */
  path?: string
  /** Raw query string without "?". @default "" */
  query?: string
  /** Header pairs; names are lower-cased on the way in. */
  headers?: Iterable<readonly [string, string]> | Record<string, string>
  /** Headers as a flat [name, value, name, value, ...] list (node:http's rawHeaders), used instead of `headers`. */
  rawHeaders?: readonly string[]
  body?: Uint8Array | string
}

/** A function's response. */
export interface FunctionResponse {
  status: number
  headers: Array<[string, string]>
  body: Uint8Array
}

const decoder = new TextDecoder()

/** UTF-8 byte length of `s`; ASCII (the common case for methods, paths and headers) needs no encoder call. */
function utf8Length(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8')
  return s.length
}

/** Writes `s` as UTF-8 at `at`, given its byte length; returns the position after it. */
function writeUtf8(out: Uint8Array, at: number, s: string, len: number): number {
  if (len === s.length) {
    for (let i = 0; i < len; i++) out[at + i] = s.charCodeAt(i)
  } else {
    Buffer.from(out.buffer, out.byteOffset, out.byteLength).write(s, at, len, 'utf8')
  }
  return at + len
}

function writeU32(out: Uint8Array, at: number, v: number): number {
  out[at] = v & 0xff
  out[at + 1] = (v >>> 8) & 0xff
  out[at + 2] = (v >>> 16) & 0xff
  out[at + 3] = (v >>> 24) & 0xff
  return at + 4
}

/** A request normalized for encoding: strings and their UTF-8 lengths, body as bytes. */
export interface EncodableRequest {
  strings: string[]
  lengths: number[]
  headerCount: number
  body: Uint8Array
  size: number
}

/** Measures a request for writeRequest (layout in README.md). */
export function measureRequest(req: FunctionRequest): EncodableRequest {
  const method = req.method ?? 'GET'
  const strings = [isUpperAscii(method) ? method : method.toUpperCase(), req.path ?? '/', req.query ?? '']
  let headerCount = 0
  const raw = req.rawHeaders
  if (raw) {
    for (let i = 0; i + 1 < raw.length; i += 2) strings.push(raw[i]!.toLowerCase(), raw[i + 1]!)
    headerCount = (strings.length - 3) / 2
  } else {
    const headers = req.headers ?? []
    const entries = Symbol.iterator in headers ? (headers as Iterable<readonly [string, string]>) : Object.entries(headers)
    for (const [k, v] of entries) {
      strings.push(k.toLowerCase(), v)
      headerCount++
    }
  }
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : (req.body ?? new Uint8Array(0))
  const lengths = strings.map(utf8Length)
  let size = 4 * 5 + body.length
  for (const l of lengths) size += l
  size += 4 * (strings.length - 3)
  return { strings, lengths, headerCount, body, size }
}

/** Writes a measured request at `at` in `out` (e.g. straight into a module's memory). */
export function writeRequest(out: Uint8Array, at: number, r: EncodableRequest): void {
  const { strings, lengths } = r
  for (let i = 0; i < 3; i++) at = writeUtf8(out, writeU32(out, at, lengths[i]!), strings[i]!, lengths[i]!)
  at = writeU32(out, at, r.headerCount)
  for (let i = 3; i < strings.length; i++) at = writeUtf8(out, writeU32(out, at, lengths[i]!), strings[i]!, lengths[i]!)
  at = writeU32(out, at, r.body.length)
  out.set(r.body, at)
}

/** Encodes a request into ABI v1 bytes (layout in README.md). */
export function encodeRequest(req: FunctionRequest): Uint8Array {
  const m = measureRequest(req)
  const out = new Uint8Array(m.size)
  writeRequest(out, 0, m)
  return out
}

/** The last header block a function answered with, and its decoded pairs (shared, never mutated). */
export interface HeaderCache {
  bytes: Uint8Array
  headers: Array<[string, string]>
}

function readU32(m: Uint8Array, at: number): number {
  return (m[at]! | (m[at + 1]! << 8) | (m[at + 2]! << 16) | (m[at + 3]! << 24)) >>> 0
}

/**
 * Decodes the response a module returned at `ptr`, bounds-checking every length against memory.
 * With a cache, a header block byte-identical to the previous one reuses its decoded pairs.
 */
export function decodeResponse(memory: Uint8Array, ptr: number, cache?: HeaderCache): FunctionResponse {
  const bad = (what: string) => new JaegisError('BAD_RESPONSE', `function returned a malformed response: ${what}`)
  const u32 = (at: number) => {
    if (at + 4 > end) throw bad(`truncated at byte ${at - ptr}`)
    return readU32(memory, at)
  }
  if (ptr + 4 > memory.length) throw bad('pointer outside memory')
  const end = ptr + 4 + readU32(memory, ptr)
  if (end > memory.length) throw bad('length runs past the end of memory')
  let at = ptr + 4
  const status = u32(at)
  at += 4
  if (status < 100 || status > 599) throw bad(`status ${status} is not an HTTP status`)
  const count = u32(at)
  at += 4
  // Find the header block's extent first (lengths only), then decode it unless the cache has it.
  const headerStart = at
  for (let i = 0; i < count * 2; i++) {
    const len = u32(at)
    if (at + 4 + len > end) throw bad('string runs past the end of the response')
    at += 4 + len
  }
  let headers: Array<[string, string]>
  if (cache && sameBytes(cache.bytes, memory, headerStart, at)) {
    headers = cache.headers.slice()
  } else {
    headers = []
    let p = headerStart
    const str = () => {
      const len = readU32(memory, p)
      const s = len < 64 ? asciiOrUtf8(memory, p + 4, len) : decoder.decode(memory.subarray(p + 4, p + 4 + len))
      p += 4 + len
      return s
    }
    for (let i = 0; i < count; i++) headers.push([str(), str()])
    if (cache) {
      cache.bytes = memory.slice(headerStart, at)
      cache.headers = headers.slice()
    }
  }
  const bodyLen = u32(at)
  if (at + 4 + bodyLen > end) throw bad('body runs past the end of the response')
  return { status, headers, body: copyOut(memory, at + 4, bodyLen) }
}

function sameBytes(a: Uint8Array, m: Uint8Array, start: number, end: number): boolean {
  if (a.length !== end - start) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== m[start + i]) return false
  return true
}

/**
 * A copy of `len` bytes of memory at `start` (the memory is reset after the call, so no views).
 * Small bodies come from Node's Buffer pool instead of a new ArrayBuffer each.
 */
function copyOut(memory: Uint8Array, start: number, len: number): Uint8Array {
  if (len === 0) return new Uint8Array(0)
  const out = Buffer.allocUnsafe(len)
  if (len <= 64) for (let i = 0; i < len; i++) out[i] = memory[start + i]!
  else out.set(memory.subarray(start, start + len))
  return out
}

function isUpperAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0x61 && c <= 0x7a) return false
    if (c > 0x7f) return false
  }
  return true
}

/** Short strings are usually ASCII: build them without a decoder call. */
function asciiOrUtf8(memory: Uint8Array, start: number, len: number): string {
  let s = ''
  for (let i = start; i < start + len; i++) {
    const c = memory[i]!
    if (c > 0x7f) return decoder.decode(memory.subarray(start, start + len))
    s += String.fromCharCode(c)
  }
  return s
}

/** Reads an AssemblyScript string (UTF-16LE, byte length in the 4 bytes before it) for abort messages. */
export function readAscString(memory: Uint8Array, ptr: number): string {
  if (ptr < 4 || ptr > memory.length) return ''
  const len = new DataView(memory.buffer, memory.byteOffset).getUint32(ptr - 4, true)
  if (ptr + len > memory.length) return ''
  return new TextDecoder('utf-16le').decode(memory.subarray(ptr, ptr + len))
}
