// WASI preview-1 command modules through the pool without a C toolchain: two command modules
// assembled here (one writes a CGI response to stdout, one loops forever) run CGI-style, a new
// instance per request, stopped at their deadline. The C fixtures (components-cgi) cover the rest.
import { describe, expect, it } from 'vitest'
import { createRuntime } from '../runtime/index.js'
import { SECTION, Writer, assembleModule, vectorPayload } from '../artifact/wasm/binary.js'
import { buildComponentArtifact } from '../compiler/component/index.js'
import { errorOf, testConfig, text } from './components-helpers.js'

const I32 = 0x7f
const OP = { block: 0x02, loop: 0x03, br: 0x0c, end: 0x0b, call: 0x10, drop: 0x1a, i32Const: 0x41 } as const
const bytes = (...parts: Array<number | Uint8Array>) => {
  const w = new Writer()
  for (const p of parts) typeof p === 'number' ? w.u8(p) : w.bytes(p)
  return w.finish()
}
const name = (s: string) => new Writer().name(s).finish()
const u32 = (n: number) => new Writer().u32(n).finish()

/** A command module whose _start runs `body`; memory holds an iovec at 0 for `stdout` (stored at 16). */
function commandModule(body: number[], stdout: string): Uint8Array {
  const out = new TextEncoder().encode(stdout)
  const iovec = new Uint8Array(16)
  new DataView(iovec.buffer).setUint32(0, 16, true)
  new DataView(iovec.buffer).setUint32(4, out.length, true)
  const code = bytes(0, ...body, OP.end) // no locals
  return assembleModule([
    // type 0: fd_write(fd, iovs, iovs_len, nwritten) -> errno; type 1: _start
    [SECTION.type, vectorPayload(2, bytes(0x60, 4, I32, I32, I32, I32, 1, I32, 0x60, 0, 0))],
    [SECTION.import, vectorPayload(1, bytes(name('wasi_snapshot_preview1'), name('fd_write'), 0, 0))],
    [SECTION.function, vectorPayload(1, bytes(1))],
    [SECTION.memory, vectorPayload(1, bytes(0, 1))],
    [SECTION.export, vectorPayload(2, bytes(name('memory'), 2, 0, name('_start'), 0, 1))],
    [SECTION.code, vectorPayload(1, bytes(u32(code.length), code))],
    [SECTION.data, vectorPayload(1, bytes(0, OP.i32Const, 0, OP.end, u32(16 + out.length), iovec, out))],
  ])
}

const writeStdout = [OP.i32Const, 1, OP.i32Const, 0, OP.i32Const, 1, OP.i32Const, 8, OP.call, 0, OP.drop]
const spin = [OP.loop, 0x40, OP.br, 0, OP.end]

describe('command modules (assembled)', () => {
  it('answers from stdout with a new instance per request, and stops one that loops at its deadline', async () => {
    const rt = createRuntime()
    rt.load((await buildComponentArtifact({ wasm: commandModule(writeStdout, 'Content-Type: text/plain\n\nhello from a command'), config: testConfig('cmd') })).artifact)
    rt.load((await buildComponentArtifact({ wasm: commandModule(spin, ''), config: testConfig('spin', { timeoutMs: 100 }) })).artifact)
    for (let i = 0; i < 3; i++) {
      const res = rt.invokeSync('cmd', { path: '/' })
      expect(res.status).toBe(200)
      expect(text(res.body)).toBe('hello from a command')
    }
    const t0 = performance.now()
    expect(errorOf(() => rt.invokeSync('spin'))).toMatchObject({ code: 'TIMEOUT' })
    expect(performance.now() - t0).toBeGreaterThanOrEqual(100)
    await new Promise((resolve) => setImmediate(resolve))
    const { cmd, spin: stopped } = rt.stats().functions
    expect(cmd).toMatchObject({ invocations: 3, errors: {}, starts: { warm: 1, hostwarm: 2, hostcold: 0 }, pool: { ready: 1, dirty: 0 } })
    expect(stopped).toMatchObject({ invocations: 1, errors: { TIMEOUT: 1 }, pool: { ready: 1 } })
    rt.close()
  })
})
