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
  body?: Uint8Array | string
}

/** A function's response. */
export interface FunctionResponse {
  status: number
  headers: Array<[string, string]>
  body: Uint8Array
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Encodes a request into ABI v1 bytes (layout in README.md). */
export function encodeRequest(req: FunctionRequest): Uint8Array {
  const method = encoder.encode((req.method ?? 'GET').toUpperCase())
  const path = encoder.encode(req.path ?? '/')
  const query = encoder.encode(req.query ?? '')
  const pairs: Uint8Array[] = []
  const headers = req.headers ?? []
  const entries = Symbol.iterator in headers ? (headers as Iterable<readonly [string, string]>) : Object.entries(headers)
  for (const [k, v] of entries) pairs.push(encoder.encode(k.toLowerCase()), encoder.encode(v))
  const body = typeof req.body === 'string' ? encoder.encode(req.body) : (req.body ?? new Uint8Array(0))
  let size = 4 * 5 + method.length + path.length + query.length + body.length
  for (const p of pairs) size += 4 + p.length
  const out = new Uint8Array(size)
  const view = new DataView(out.buffer)
  let at = 0
  const put = (b: Uint8Array) => {
    view.setUint32(at, b.length, true)
    out.set(b, at + 4)
    at += 4 + b.length
  }
  put(method)
  put(path)
  put(query)
  view.setUint32(at, pairs.length / 2, true)
  at += 4
  for (const p of pairs) put(p)
  put(body)
  return out
}

/** Decodes the response a module returned at `ptr`, bounds-checking every length against memory. */
export function decodeResponse(memory: Uint8Array, ptr: number): FunctionResponse {
  const bad = (what: string) => new JaegisError('BAD_RESPONSE', `function returned a malformed response: ${what}`)
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength)
  const u32 = (at: number) => {
    if (at + 4 > end) throw bad(`truncated at byte ${at - ptr}`)
    return view.getUint32(at, true)
  }
  if (ptr + 4 > memory.length) throw bad('pointer outside memory')
  const end = ptr + 4 + view.getUint32(ptr, true)
  if (end > memory.length) throw bad('length runs past the end of memory')
  let at = ptr + 4
  const status = u32(at)
  at += 4
  if (status < 100 || status > 599) throw bad(`status ${status} is not an HTTP status`)
  const count = u32(at)
  at += 4
  const str = () => {
    const len = u32(at)
    if (at + 4 + len > end) throw bad('string runs past the end of the response')
    const s = decoder.decode(memory.subarray(at + 4, at + 4 + len))
    at += 4 + len
    return s
  }
  const headers: Array<[string, string]> = []
  for (let i = 0; i < count; i++) headers.push([str(), str()])
  const bodyLen = u32(at)
  if (at + 4 + bodyLen > end) throw bad('body runs past the end of the response')
  const body = memory.slice(at + 4, at + 4 + bodyLen)
  return { status, headers, body }
}

/** Reads an AssemblyScript string (UTF-16LE, byte length in the 4 bytes before it) for abort messages. */
export function readAscString(memory: Uint8Array, ptr: number): string {
  if (ptr < 4 || ptr > memory.length) return ''
  const len = new DataView(memory.buffer, memory.byteOffset).getUint32(ptr - 4, true)
  if (ptr + len > memory.length) return ''
  return new TextDecoder('utf-16le').decode(memory.subarray(ptr, ptr + len))
}
