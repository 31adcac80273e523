// Property tests of the host <-> module encoding (runtime/abi, layout in runtime/abi/README.md):
// requests round-trip through an independent decoder written from the README, responses round-trip
// through decodeResponse, and garbage memory or pointers only ever give BAD_RESPONSE.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeResponse, encodeRequest, isJaegisError, type FunctionRequest } from '../../runtime/index.js'
import { FUZZ_RUNS } from '../fuzz-runs.js'

const utf8 = new TextDecoder()
/** What a string becomes on the wire: UTF-8, lone surrogates as U+FFFD. */
const wire = (s: string) => Buffer.from(s, 'utf8').toString('utf8')

/** The request layout of the README, read back independently of the encoder. */
function readRequest(b: Uint8Array): { method: string; path: string; query: string; headers: Array<[string, string]>; body: Uint8Array } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  let at = 0
  const u32 = () => { const v = dv.getUint32(at, true); at += 4; return v }
  const str = () => { const n = u32(); const s = utf8.decode(b.subarray(at, at + n)); at += n; return s }
  const method = str()
  const path = str()
  const query = str()
  const headers: Array<[string, string]> = []
  for (let i = u32(); i > 0; i--) headers.push([str(), str()])
  const n = u32()
  const body = b.slice(at, at + n)
  at += n
  expect(at).toBe(b.length) // nothing missing, nothing left over
  return { method, path, query, headers, body }
}

/** The response layout of the README, written independently of the decoder. */
function writeResponse(status: number, headers: Array<[string, string]>, body: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = []
  const u32 = (v: number) => { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v, true); parts.push(b) }
  const bytes = (b: Uint8Array) => { u32(b.length); parts.push(b) }
  u32(0) // size, patched below
  u32(status)
  u32(headers.length)
  for (const [k, v] of headers) { bytes(Buffer.from(k)); bytes(Buffer.from(v)) }
  bytes(body)
  const out = Buffer.concat(parts)
  new DataView(out.buffer, out.byteOffset).setUint32(0, out.length - 4, true)
  return new Uint8Array(out)
}

const anyString = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 8 }))
const requestArb = fc.record({
  method: fc.option(fc.oneof(fc.constantFrom('GET', 'post', 'Patch', 'ß'), anyString), { nil: undefined }),
  path: fc.option(anyString, { nil: undefined }),
  query: fc.option(anyString, { nil: undefined }),
  headers: fc.option(fc.array(fc.tuple(anyString, anyString), { maxLength: 8 }), { nil: undefined }),
  body: fc.option(fc.oneof(fc.uint8Array({ maxLength: 300 }), anyString), { nil: undefined }),
})

function expectBadResponse(fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(isJaegisError(err) && (err as { code: string }).code, String(err)).toBe('BAD_RESPONSE')
  }
}

describe('ABI request encoding', () => {
  it('round-trips every request: method upper-cased, header names lower-cased, strings as UTF-8', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const req: FunctionRequest = { ...r }
        const got = readRequest(encodeRequest(req))
        expect(got.method).toBe(wire((r.method ?? 'GET').toUpperCase()))
        expect(got.path).toBe(wire(r.path ?? '/'))
        expect(got.query).toBe(wire(r.query ?? ''))
        expect(got.headers).toEqual((r.headers ?? []).map(([k, v]) => [wire(k.toLowerCase()), wire(v)]))
        const body = typeof r.body === 'string' ? Buffer.from(r.body, 'utf8') : (r.body ?? new Uint8Array(0))
        expect(Buffer.from(got.body).equals(Buffer.from(body))).toBe(true)
      }),
      { numRuns: FUZZ_RUNS(500) },
    )
  })

  it('encodes rawHeaders like the same pairs given as headers', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyString, anyString), { maxLength: 6 }), (pairs) => {
        expect(encodeRequest({ rawHeaders: pairs.flat() })).toEqual(encodeRequest({ headers: pairs }))
      }),
      { numRuns: FUZZ_RUNS(200) },
    )
  })
})

describe('ABI response decoding', () => {
  const responseArb = fc.record({
    status: fc.integer({ min: 100, max: 599 }),
    headers: fc.array(fc.tuple(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 })), { maxLength: 8 }),
    body: fc.uint8Array({ maxLength: 300 }),
    before: fc.nat(64),
    after: fc.nat(64),
  })

  it('round-trips a well-formed response anywhere in memory, with and without the header cache', () => {
    const cache = { bytes: new Uint8Array(0), headers: [] as Array<[string, string]> }
    fc.assert(
      fc.property(responseArb, ({ status, headers, body, before, after }) => {
        const bytes = writeResponse(status, headers, body)
        const memory = new Uint8Array(before + bytes.length + after).fill(0xab)
        memory.set(bytes, before)
        for (const c of [undefined, cache, cache]) {
          const r = decodeResponse(memory, before, c)
          expect(r.status).toBe(status)
          expect(r.headers).toEqual(headers)
          expect(Buffer.from(r.body).equals(Buffer.from(body))).toBe(true)
        }
      }),
      { numRuns: FUZZ_RUNS(300) },
    )
  })

  it('never crashes on garbage: any memory, any i32 pointer gives a response inside memory or BAD_RESPONSE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), fc.oneof(fc.nat(300), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), (memory, ptr) => {
        expectBadResponse(() => {
          const r = decodeResponse(memory, ptr)
          // Accepted: it must have come from inside memory, at ptr.
          expect(ptr).toBeGreaterThanOrEqual(0)
          expect(ptr + 4 + new DataView(memory.buffer).getUint32(ptr, true)).toBeLessThanOrEqual(memory.length)
          expect(r.status).toBeGreaterThanOrEqual(100)
          expect(r.status).toBeLessThanOrEqual(599)
        })
      }),
      { numRuns: FUZZ_RUNS(2000) },
    )
  })

  it('never crashes on a mutated well-formed response', () => {
    fc.assert(
      fc.property(responseArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), ({ status, headers, body }, flips) => {
        const memory = writeResponse(status, headers, body)
        for (const [at, v] of flips) memory[at % memory.length] = v
        expectBadResponse(() => decodeResponse(memory, 0))
      }),
      { numRuns: FUZZ_RUNS(1000) },
    )
  })
})
