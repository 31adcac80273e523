// Third-party programs through `jaegis serve` and `jaegis deploy app.wasm` (issue 16): folders an
// upload may map (--allow-files, read-only unless :rw; ".." and symlinks cannot leave them), and a
// trial request that refuses a version which cannot answer a single request.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { command as deploy } from '../cli/commands/deploy.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { captureContext } from './cli-capture.js'
import { FIXTURES, compileC, wasiClangMissing } from './components-helpers.js'

const missing = wasiClangMissing()
if (missing) console.warn(`skipping jaegis deploy app.wasm tests that need C for wasm32-wasi: ${missing}`)

describe.skipIf(missing !== undefined)('jaegis deploy app.wasm against jaegis serve --allow-files', () => {
  let server: JaegisServer
  let work: string
  let allowed: string
  let writable: string
  let outside: string
  const env = () => ({ JAEGIS_URL: server.url, JAEGIS_TOKEN: 't' })
  /** Runs `jaegis deploy` in-process; returns its output or the error it ends with. */
  const run = async (...argv: string[]) => {
    const ctx = captureContext(work, env())
    try {
      const code = await deploy.run(argv, ctx)
      return { code, out: ctx.stdout, err: ctx.stderr }
    } catch (err) {
      return { code: 1, out: ctx.stdout, err: (err as Error).message }
    }
  }
  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`)
    return [res.status, await res.text()] as const
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'jaegis-deploy-wasm-'))
    copyFileSync(join(FIXTURES, 'cgi', 'tools.c'), join(work, 'tools.c'))
    writeFileSync(join(work, 'Test_Command.wasm'), compileC(join(FIXTURES, 'cgi', 'tools.c')))
    writeFileSync(join(work, 'hungry.wasm'), compileC(join(FIXTURES, 'cgi', 'hungry.c')))
    allowed = join(work, 'allowed')
    writable = join(work, 'writable')
    outside = join(work, 'outside')
    for (const d of [allowed, join(allowed, 'data'), writable, outside]) mkdirSync(d)
    writeFileSync(join(allowed, 'data', 'hello.txt'), 'allowed content')
    writeFileSync(join(outside, 'secret.txt'), 'not for uploads')
    symlinkSync(outside, join(allowed, 'sneaky'))
    server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-srv-tp-')), token: 't', allowFiles: [{ dir: allowed, writable: false }, { dir: writable, writable: true }] })
  })
  afterAll(() => server?.close(500))

  it('deploys a bare .wasm with a name from the file and serves it', async () => {
    const d = await run('Test_Command.wasm')
    expect(d.err).toBe('')
    expect(d.out).toMatch(/^deployed test-command v1 \([0-9a-f]{12}\)\n/)
    expect(await get('/fn/test-command/args')).toEqual([200, '[test-command]'])
  })

  it('takes the manifest fields as flags: args, route, env, memory; checked by the manifest rules', async () => {
    const d = await run('Test_Command.wasm', '--name', 'tools', '--arg=-o', '--arg', '/tmp/out.wav', '--route', '/tools', '--memory', '8', '--files', `${allowed}/data:/data`)
    expect(d.code, d.err).toBe(0)
    expect(await get('/tools/args')).toEqual([200, '[tools] [-o] [/tmp/out.wav]'])
    expect(await get('/fn/tools/read?/data/hello.txt')).toEqual([200, 'allowed content'])
    expect((await run('Test_Command.wasm', '--memory', 'lots')).err).toBe('jaegis deploy flags: "limits.memory_mib" must be an integer from 1 to 4096, got "lots"')
    expect((await run('.', '--memory', '8')).err).toBe('--memory is for a bare .wasm file; for a function folder, set it in jaegis.toml')
  })

  it('refuses folders outside --allow-files, including through ".." and symlinks, and writable ones the operator did not allow', async () => {
    const list = `allowed: ${allowed}, ${writable}:rw; the operator allows folders with jaegis serve --allow-files <dir>`
    expect((await run('Test_Command.wasm', '--name', 'bad', '--files', `${outside}:/o`)).err).toBe(`invalid artifact: the function maps host folder ${outside} to /o, which this server does not allow for uploads (${list})`)
    expect((await run('Test_Command.wasm', '--name', 'bad', '--files', `${allowed}/../outside:/o`)).err).toContain(`maps host folder ${outside} to /o, which this server does not allow`)
    expect((await run('Test_Command.wasm', '--name', 'bad', '--files', `${allowed}/sneaky:/o`)).err).toContain(`maps host folder ${allowed}/sneaky to /o, which this server does not allow`)
    expect((await run('Test_Command.wasm', '--name', 'bad', '--files', `${allowed}/data:/data:rw`)).err).toBe(
      `invalid artifact: the function maps ${allowed}/data to /data writable, but this server allows ${allowed} read-only (the operator allows writing with jaegis serve --allow-files ${allowed}:rw)`,
    )
    expect(await get('/fn/bad/args')).toEqual([404, expect.stringContaining('UNKNOWN_FUNCTION')])
  })

  it('loads a stored version that maps a folder only while the folder is still allowed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jaegis-srv-tp-restart-'))
    const first = await startServer({ port: 0, dataDir, token: 't', workers: 1, allowFiles: [{ dir: allowed, writable: false }] })
    const ctx = captureContext(work, { JAEGIS_URL: first.url, JAEGIS_TOKEN: 't' })
    expect(await deploy.run(['Test_Command.wasm', '--name', 'mapped', '--files', `${allowed}/data:/data`], ctx)).toBe(0)
    await first.close(500)
    const again = await startServer({ port: 0, dataDir, token: 't', allowFiles: [{ dir: allowed, writable: false }] })
    expect(await (await fetch(`${again.url}/fn/mapped/read?/data/hello.txt`)).text()).toBe('allowed content')
    await again.close(500)
    const without = await startServer({ port: 0, dataDir, token: 't' })
    try {
      const show = (await (await fetch(`${without.url}/_api/v1/functions/mapped`, { headers: { authorization: 'Bearer t' } })).json()) as { status: { state: string; error?: string } }
      expect(show.status.state).toBe('failed')
      expect(show.status.error).toContain(`maps host folder ${allowed}/data to /data, which this server does not allow for uploads (allowed: none;`)
      expect((await fetch(`${without.url}/fn/mapped/read?/data/hello.txt`)).status).toBe(404)
    } finally {
      await without.close(500)
    }
  })

  it('maps a folder writable inside a :rw folder', async () => {
    expect((await run('Test_Command.wasm', '--name', 'writer', '--files', `${writable}:/out:rw`)).code).toBe(0)
    expect(await get('/fn/writer/write?/out/result.txt')).toEqual([200, 'written by the guest'])
    expect(readFileSync(join(writable, 'result.txt'), 'utf8')).toBe('written by the guest')
  })

  it('refuses a version whose first request needs more memory than its limit, and says what to raise it to', async () => {
    const d = await run('hungry.wasm', '--memory', '16')
    expect(d.code).toBe(1)
    expect(d.err).toMatch(/^"hungry" cannot answer a single request: the trial request \(GET \/\) failed with MEMORY_LIMIT: function exceeded its memory limit of 16 MiB \(asked to grow to 40\.\d+ MiB\); raise memory_mib to at least 64 \(\[limits\] memory_mib in jaegis\.toml, or jaegis deploy <app\.wasm> --memory 64\)$/)
    expect(await get('/fn/hungry/')).toEqual([404, expect.stringContaining('UNKNOWN_FUNCTION')])
    expect((await run('hungry.wasm', '--memory', '64')).code).toBe(0)
    expect(await get('/fn/hungry/')).toEqual([200, 'started with 40 MiB'])
  })

  it('deploys a program whose trial fails on its own terms (a trap may be that request\'s answer), with a warning', async () => {
    const d = await run('Test_Command.wasm', '--name', 'grumpy', '--arg=--refuse-everything')
    expect(d.code).toBe(0)
    expect(d.out).toMatch(/^deployed grumpy v1/)
    expect(d.err).toBe('warning: the trial request (GET /) failed with TRAP: command exited with status 3\n')
    const logs = (await (await fetch(`${server.url}/_api/v1/functions/grumpy/logs`, { headers: { authorization: 'Bearer t' } })).json()) as { entries?: Array<{ message: string }> } | Array<{ message: string }>
    expect(JSON.stringify(logs)).toContain('trial: refusing every request')
  })
})
