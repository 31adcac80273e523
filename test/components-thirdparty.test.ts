// What third-party WASI programs need (issue 16): argv from the manifest, a per-request scratch
// /tmp bounded in bytes, writable mapped folders that nothing can leave (".." or symlinks), and the
// output of a command that fails. The program is C built with clang for wasm32-wasi.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type LogEntry } from '../runtime/index.js'
import { buildComponentArtifact } from '../compiler/component/index.js'
import { FIXTURES, compileC, errorOf, testConfig, text, wasiClangMissing } from './components-helpers.js'

const missing = wasiClangMissing()
if (missing) console.warn(`skipping third-party WASI tests that need C for wasm32-wasi: ${missing}`)

describe.skipIf(missing !== undefined)('command modules as third-party programs need them (C, wasm32-wasi)', () => {
  const logs: LogEntry[] = []
  const rt = createRuntime({ onLog: (e) => logs.push(e) })
  let outside: string
  let rw: string
  let ro: string
  const call = (path: string, query = '', name = 'tools') => text(rt.invokeSync(name, { path, query }).body)

  beforeAll(async () => {
    const wasm = compileC(join(FIXTURES, 'cgi', 'tools.c'))
    const base = mkdtempSync(join(tmpdir(), 'jaegis-tools-'))
    outside = join(base, 'outside')
    rw = join(base, 'rw')
    ro = join(base, 'ro')
    for (const d of [outside, rw, ro]) mkdirSync(d)
    writeFileSync(join(outside, 'secret.txt'), 'not for functions')
    writeFileSync(join(ro, 'kept.txt'), 'read-only content')
    symlinkSync(join(outside, 'secret.txt'), join(ro, 'link-out.txt'))
    symlinkSync(outside, join(rw, 'dir-out'))
    const files = [
      { guest: '/rw', host: rw, writable: true },
      { guest: '/ro', host: ro },
    ]
    const config = testConfig('tools', { memoryMib: 4, args: ['-o', '/tmp/out.wav', 'two words'] })
    rt.load((await buildComponentArtifact({ wasm, config, files })).artifact)
  })

  it('passes the manifest args after the program name', () => {
    expect(call('/args')).toBe('[tools] [-o] [/tmp/out.wav] [two words]')
  })

  it('gives each request a writable /tmp that is gone when the request ends', () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('jaegis-scratch-')).length
    expect(call('/write', '/tmp/out.txt')).toBe('written by the guest')
    expect(call('/read', '/tmp/out.txt')).toBe('open failed: No such file or directory')
    expect(call('/ls', '/tmp')).toBe('(empty)')
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('jaegis-scratch-')).length).toBe(before)
  })

  it('bounds /tmp by the memory limit: past it writes fail with ENOSPC', () => {
    expect(call('/fill', '/tmp/big')).toBe('4 MiB, then: No space left on device')
    expect(logs.map((l) => l.message)).toContainEqual(expect.stringMatching(/\/tmp\/big is full \(the scratch folder holds at most 4194304 bytes/))
  })

  it('writes to a folder mapped writable, and only there', () => {
    expect(call('/write', '/rw/new.txt')).toBe('written by the guest')
    expect(readFileSync(join(rw, 'new.txt'), 'utf8')).toBe('written by the guest')
    expect(call('/read', '/ro/kept.txt')).toBe('read-only content')
    expect(call('/write', '/ro/new.txt')).toBe('open for writing failed: Read-only file system\n')
    expect(existsSync(join(ro, 'new.txt'))).toBe(false)
  })

  it('refuses paths that leave a mapped folder by ".." or through a symlink', () => {
    logs.length = 0
    expect(call('/read', '/ro/../outside/secret.txt')).toMatch(/^open failed: /)
    expect(call('/read', '/ro/link-out.txt')).toBe('open failed: Capabilities insufficient')
    expect(call('/write', '/rw/dir-out/planted.txt')).toBe('open for writing failed: Capabilities insufficient\n')
    expect(existsSync(join(outside, 'planted.txt'))).toBe(false)
    expect(logs.map((l) => l.message)).toContainEqual('filesystem: path "link-out.txt" leaves /ro')
  })

  it('stops a program whose malloc goes past the limit, or with on_memory_limit = "refuse-grow" lets malloc return NULL', async () => {
    const wasm = compileC(join(FIXTURES, 'cgi', 'hungry.c'))
    rt.load((await buildComponentArtifact({ wasm, config: testConfig('hungry', { memoryMib: 16 }) })).artifact)
    expect(errorOf(() => rt.invokeSync('hungry'))).toMatchObject({ code: 'MEMORY_LIMIT', message: expect.stringMatching(/^function exceeded its memory limit of 16 MiB \(asked to grow to 40\.\d+ MiB\)$/) })
    const config = testConfig('hungry-spec', { memoryMib: 16 })
    config.limits.onMemoryLimit = 'refuse-grow'
    rt.load((await buildComponentArtifact({ wasm, config })).artifact)
    logs.length = 0
    const res = rt.invokeSync('hungry-spec')
    expect([res.status, text(res.body)]).toEqual([503, 'malloc returned NULL'])
    expect(logs.map((l) => [l.level, l.message])).toContainEqual(['warn', expect.stringMatching(/^memory\.grow refused: asked for 40\.\d+ MiB, over the memory limit of 16 MiB \(on_memory_limit = "refuse-grow": the program got -1\)$/)])
    expect(text(rt.invokeSync('hungry-spec').body)).toBe('malloc returned NULL') // and it keeps serving
  })

  it('answers with response_file, the file the program wrote to /tmp, and stdout\'s headers', async () => {
    const wasm = compileC(join(FIXTURES, 'cgi', 'tools.c'))
    rt.load((await buildComponentArtifact({ wasm, config: testConfig('saver', { responseFile: '/tmp/out.wav' }) })).artifact)
    const res = rt.invokeSync('saver', { path: '/save', query: '/tmp/out.wav' })
    expect([res.status, res.headers, text(res.body)]).toEqual([200, [['content-type', 'text/plain']], 'saved by the guest'])
    expect(errorOf(() => rt.invokeSync('saver', { path: '/save', query: '/tmp/elsewhere.wav' }))).toEqual(
      expect.objectContaining({ code: 'BAD_RESPONSE', message: 'function returned a malformed response: the program exited 0 without writing its response file /tmp/out.wav' }),
    )
    expect(errorOf(() => rt.invokeSync('saver', { path: '/args' }))).toMatchObject({ code: 'BAD_RESPONSE' })
  })

  it('keeps the output of a command that exits non-zero: stdout and stderr in the log, a CGI body with 500', () => {
    logs.length = 0
    const res = rt.invokeSync('tools', { path: '/fail' })
    expect(res.status).toBe(500)
    expect(res.headers).toEqual([['content-type', 'text/plain']])
    expect(text(res.body)).toBe('partial output before the failure\n')
    const messages = logs.map((l) => [l.level, l.message])
    expect(messages).toContainEqual(['error', 'something went wrong'])
    expect(messages).toContainEqual(['error', 'command exited with status 2; its stdout: Content-Type: text/plain\n\npartial output before the failure\n'])
  })
})
