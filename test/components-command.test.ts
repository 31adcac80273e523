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

/** A module with one () -> () function import per entry of `imports`, a memory, and () -> () functions exported as `exports`. */
function shapedModule(imports: Array<[string, string]>, exports: string[]): Uint8Array {
  const importEntries = imports.map(([m, n]) => bytes(name(m), name(n), 0, 0))
  const body = bytes(0, OP.end)
  return assembleModule([
    [SECTION.type, vectorPayload(1, bytes(0x60, 0, 0))],
    [SECTION.import, vectorPayload(imports.length, bytes(...importEntries))],
    [SECTION.function, vectorPayload(exports.length, bytes(...exports.map(() => 0)))],
    [SECTION.memory, vectorPayload(1, bytes(0, 1))],
    [SECTION.export, vectorPayload(exports.length + 1, bytes(name('memory'), 2, 0, ...exports.map((e, i) => bytes(name(e), 0, u32(imports.length + i)))))],
    [SECTION.code, vectorPayload(exports.length, bytes(...exports.map(() => bytes(u32(body.length), body))))],
  ])
}

describe('modules Jaegis cannot run are refused in one line that says what they are', () => {
  const refusal = async (wasm: Uint8Array) => {
    try {
      await buildComponentArtifact({ wasm, config: testConfig('x') })
    } catch (err) {
      return err as { code: string; message: string }
    }
    throw new Error('expected a refusal')
  }

  it('a WASI reactor with host imports (the shape of CRuby\'s npm build)', async () => {
    const imports: Array<[string, string]> = [...Array.from({ length: 21 }, (_, i): [string, string] => ['rb-js-abi-host', `js-value-${i}: func(value: u32) -> u32`]), ['wasi_snapshot_preview1', 'fd_write']]
    const err = await refusal(shapedModule(imports, ['_initialize', 'ruby-init: func(args: list<string>) -> ()']))
    expect(err.code).toBe('COMPILE_FAILED')
    expect(err.message).toBe(
      'the module is a WASI reactor, a library a host calls into (it exports _initialize and no _start), and it needs a host that provides rb-js-abi-host (21 imports); it cannot answer requests on its own. Jaegis runs WASI preview-1 command modules (_start, importing only wasi_snapshot_preview1), components exporting wasi:http/incoming-handler@0.2.x or wasi:cli/run@0.2.x, and AssemblyScript functions',
    )
    expect(err.message).not.toContain('\n')
  })

  it('a Spin 1.x HTTP module, even with a _start', async () => {
    const err = await refusal(shapedModule([['wasi_snapshot_preview1', 'fd_write']], ['_start', 'handle-http-request', 'canonical_abi_realloc']))
    expect(err.code).toBe('COMPILE_FAILED')
    expect(err.message).toMatch(/^the module is a Spin 1\.x HTTP module \(it exports handle-http-request, Spin's pre-component interface\): rebuild it with Spin SDK 2 or later as a wasi:http component/)
  })

  it('a command with foreign imports is summarised, not listed', async () => {
    const imports = Array.from({ length: 40 }, (_, i): [string, string] => ['env', `f${i}`])
    const err = await refusal(shapedModule(imports, ['_start']))
    expect(err.message).toMatch(/^the module imports 40 functions from env, which Jaegis does not provide \(first: env\.f0\)\. Jaegis runs/)
    expect(err.message.length).toBeLessThan(400)
  })
})
