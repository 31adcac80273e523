// ABI v1: module checks name what is wrong; request and response buffers round-trip and are bounds-checked.
import { describe, expect, it } from 'vitest'
import { SECTION, Writer, assembleModule, vectorPayload } from '@jaegis/artifact/wasm/binary'
import { checkAbi, decodeResponse, encodeRequest } from './index.js'

const name = (s: string) => new Writer().name(s).finish()
const cat = (...parts: Uint8Array[]) => {
  const w = new Writer()
  for (const p of parts) w.bytes(p)
  return w.finish()
}

/** A module with the given exports (functions return 0) and imports. */
function moduleWith(exports: Array<[string, 'function' | 'global' | 'memory']>, imports: Array<[string, string]> = []): WebAssembly.Module {
  const types = vectorPayload(1, Uint8Array.of(0x60, 0, 1, 0x7f))
  const imp = imports.map(([m, n]) => cat(name(m), name(n), Uint8Array.of(0, 0)))
  const fnExports = exports.filter(([, k]) => k === 'function')
  const funcs = vectorPayload(fnExports.length, Uint8Array.from(fnExports.map(() => 0)))
  const body = Uint8Array.of(4, 0, 0x41, 0, 0x0b)
  const code = vectorPayload(fnExports.length, cat(...fnExports.map(() => body)))
  let f = imports.length
  const exp = exports.map(([n, k]) => cat(name(n), k === 'function' ? Uint8Array.of(0, f++) : k === 'global' ? Uint8Array.of(3, 0) : Uint8Array.of(2, 0)))
  const sections: Array<[number, Uint8Array]> = [[SECTION.type, types]]
  if (imports.length) sections.push([SECTION.import, vectorPayload(imports.length, cat(...imp))])
  sections.push([SECTION.function, funcs], [SECTION.memory, Uint8Array.of(1, 0, 1)], [SECTION.global, Uint8Array.of(1, 0x7f, 0, 0x41, 1, 0x0b)])
  sections.push([SECTION.export, vectorPayload(exp.length, cat(...exp))], [SECTION.code, code])
  return new WebAssembly.Module(assembleModule(sections) as Uint8Array<ArrayBuffer>)
}

const complete: Array<[string, 'function' | 'global' | 'memory']> = [
  ['memory', 'memory'],
  ['__jaegis_alloc', 'function'],
  ['__jaegis_handle', 'function'],
  ['__jaegis_abi_v1', 'global'],
]

describe('checkAbi', () => {
  it('accepts a complete v1 module', () => {
    expect(() => checkAbi(moduleWith(complete, [['jaegis', 'log'], ['env', 'abort']]))).not.toThrow()
  })

  it('rejects a module built for another ABI version', () => {
    const v2 = complete.map(([n, k]) => [n === '__jaegis_abi_v1' ? '__jaegis_abi_v2' : n, k] as [string, 'function' | 'global' | 'memory'])
    expect(() => checkAbi(moduleWith(v2))).toThrow('module was built for Jaegis ABI v2; this runtime speaks v1')
  })

  it('names a missing export', () => {
    expect(() => checkAbi(moduleWith(complete.filter(([n]) => n !== '__jaegis_handle')))).toThrow('module is missing the export "__jaegis_handle" (function)')
    expect(() => checkAbi(moduleWith(complete.filter(([n]) => !n.startsWith('__jaegis_abi'))))).toThrow(/missing the export "__jaegis_abi_v1".*Jaegis SDK/)
  })

  it('names an import the host does not provide', () => {
    expect(() => checkAbi(moduleWith(complete, [['wasi_snapshot_preview1', 'fd_write']]))).toThrow('module imports "wasi_snapshot_preview1.fd_write" (function), which Jaegis ABI v1 does not provide')
  })
})

describe('request and response buffers', () => {
  it('encodes a request in the documented layout', () => {
    const bytes = encodeRequest({ method: 'post', path: '/a', query: 'x=1', headers: { 'X-Y': 'z' }, body: 'hi' })
    const view = new DataView(bytes.buffer)
    const strings: string[] = []
    let at = 0
    const str = () => {
      const len = view.getUint32(at, true)
      const s = new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + len))
      at += 4 + len
      return s
    }
    strings.push(str(), str(), str())
    const count = view.getUint32(at, true)
    at += 4
    for (let i = 0; i < count; i++) strings.push(str(), str())
    strings.push(str())
    expect(strings).toEqual(['POST', '/a', 'x=1', 'x-y', 'z', 'hi'])
    expect(at).toBe(bytes.length)
  })

  function response(status: number, headers: Array<[string, string]>, body: string, sizeDelta = 0): Uint8Array {
    const w = new Writer()
    const enc = new TextEncoder()
    const u32 = (v: number) => {
      const b = new Uint8Array(4)
      new DataView(b.buffer).setUint32(0, v, true)
      w.bytes(b)
    }
    const payload = new Writer()
    const pu32 = (v: number) => {
      const b = new Uint8Array(4)
      new DataView(b.buffer).setUint32(0, v, true)
      payload.bytes(b)
    }
    const ps = (s: string) => {
      const e = enc.encode(s)
      pu32(e.length)
      payload.bytes(e)
    }
    pu32(status)
    pu32(headers.length)
    for (const [k, v] of headers) (ps(k), ps(v))
    ps(body)
    const p = payload.finish()
    u32(p.length + sizeDelta)
    w.bytes(p)
    const mem = new Uint8Array(64 + w.length)
    mem.set(w.finish(), 16)
    return mem
  }

  it('decodes a response', () => {
    const res = decodeResponse(response(201, [['content-type', 'text/plain']], 'made'), 16)
    expect(res.status).toBe(201)
    expect(res.headers).toEqual([['content-type', 'text/plain']])
    expect(new TextDecoder().decode(res.body)).toBe('made')
  })

  it('rejects malformed responses with BAD_RESPONSE', () => {
    expect(() => decodeResponse(response(200, [], 'x', -3), 16)).toThrow(/malformed response/)
    expect(() => decodeResponse(response(200, [], 'x', 1000), 16)).toThrow(/past the end of memory/)
    expect(() => decodeResponse(response(99, [], 'x'), 16)).toThrow(/status 99 is not an HTTP status/)
    expect(() => decodeResponse(new Uint8Array(8), 100)).toThrow(/pointer outside memory/)
  })
})
