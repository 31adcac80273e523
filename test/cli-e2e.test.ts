// The real `jaegis` binary against a real `jaegis serve` process on loopback: new, deploy, invoke,
// logs, redeploy, rollback, rm; a SIGKILL in the middle of a deploy; a graceful SIGTERM.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { ROOT } from './helpers.js'

const BIN = join(ROOT, 'bin', 'jaegis.js')
const run = promisify(execFile)

interface Served {
  child: ChildProcess
  url: string
  output: () => string
}

/** Every server a test started; whatever a failing test left running is stopped after it. */
const children = new Set<ChildProcess>()
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children.clear()
})

async function serve(dataDir: string, env: Record<string, string> = {}, stopAfterTest = true): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data', dataDir], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  if (stopAfterTest) children.add(child)
  let out = ''
  child.stderr!.on('data', (d) => (out += d))
  // Listen with 'data' (not for-await, which would destroy the pipe when the loop ends).
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d
      const m = /serving on (http:\/\/\S+)/.exec(out)
      if (m) resolve(m[1]!)
    })
    child.once('exit', () => reject(new Error(`serve exited: ${out}`)))
  })
  return { child, url, output: () => out }
}

async function jaegis(args: string[], env: Record<string, string>, cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, cwd })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

const exited = (c: ChildProcess) => new Promise<number | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code))))

describe('jaegis CLI end to end', () => {
  let served: Served
  let env: Record<string, string>
  let work: string

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'jaegis-e2e-'))
    served = await serve(join(work, 'data'), {}, false)
    env = { JAEGIS_URL: served.url, JAEGIS_DATA: join(work, 'data') }
  })
  afterAll(async () => {
    served?.child.kill('SIGTERM')
    await exited(served.child)
  })

  it('prints the admin token once, on first start', async () => {
    await vi.waitFor(() => expect(served.output()).toContain('jgs_'), { timeout: 5000 })
    expect(served.output()).toMatch(/admin token \(shown once, saved to .*token with mode 0600\):\n {2}jgs_/)
  })

  it('walks new -> deploy -> invoke -> logs -> redeploy -> rollback -> rm', async () => {
    const made = await jaegis(['new', 'greet'], env, work)
    expect(made.code, made.stderr).toBe(0)
    expect(made.stdout).toContain('Created greet/')

    const d1 = await jaegis(['deploy', 'greet'], env, work)
    expect(d1.code, d1.stderr).toBe(0)
    expect(d1.stdout).toContain(`deployed greet v1`)
    expect(d1.stdout).toContain(`${served.url}/fn/greet`)
    expect(await (await fetch(`${served.url}/fn/greet?name=e2e`)).text()).toBe('Hello, e2e!\n')

    const inv = await jaegis(['invoke', 'greet', '-d', '{"n":1}'], env)
    expect(inv.stdout).toBe('{"received":{"n":1}}\n')
    const bad = await jaegis(['invoke', 'greet', '-d', 'not json'], env)
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('jaegis invoke:')

    const logs = await jaegis(['logs', 'greet'], env)
    expect(logs.stdout).toMatch(/INFO\s+v1 greeting e2e/)

    // redeploy a change, then roll back to it
    const toml = join(work, 'greet', 'jaegis.toml')
    writeFileSync(toml, readFileSync(toml, 'utf8').replace('GREETING = "Hello"', 'GREETING = "Howdy"'))
    const src = join(work, 'greet', 'assembly', 'index.ts')
    writeFileSync(src, readFileSync(src, 'utf8').replace('"Hello"', '"Hi"') + '\n// v2\n')
    const d2 = await jaegis(['deploy', 'greet', '--json'], env, work)
    expect(JSON.parse(d2.stdout)).toMatchObject({ name: 'greet', version: 2, changed: true })
    expect(await (await fetch(`${served.url}/fn/greet`)).text()).toBe('Howdy, world!\n')
    const rb = await jaegis(['rollback', 'greet'], env)
    expect(rb.stdout).toContain('greet now serves v1')
    expect(await (await fetch(`${served.url}/fn/greet`)).text()).toBe('Hello, world!\n')

    const list = await jaegis(['list', '--json'], env)
    expect(JSON.parse(list.stdout).map((f: { name: string; version: number }) => [f.name, f.version])).toEqual([['greet', 1]])

    expect((await jaegis(['rm', 'greet'], env)).stdout).toBe('removed greet\n')
    expect((await fetch(`${served.url}/fn/greet`)).status).toBe(404)
    const again = await jaegis(['rm', 'greet'], env)
    expect(again.code).toBe(1)
    expect(again.stderr).toBe('jaegis rm: no function named "greet" is deployed\n')
  })

  it('explains usage errors and a missing server', async () => {
    const r = await jaegis(['invoke'], env)
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('jaegis invoke: missing the function name')
    const down = await jaegis(['list'], { ...env, JAEGIS_URL: 'http://127.0.0.1:9' })
    expect(down.code).toBe(1)
    expect(down.stderr).toMatch(/jaegis list: cannot reach the Jaegis server at http:\/\/127\.0\.0\.1:9/)
    const help = await jaegis(['deploy', '--help'], env)
    expect(help.stdout).toContain('Usage: jaegis deploy')
    const badToken = await jaegis(['list', '--token', 'wrong'], env)
    expect(badToken.code).toBe(1)
    expect(badToken.stderr).toMatch(/jaegis list: the admin API needs/)
  })
})

describe('crash safety', () => {
  // Two built versions of one function, deployed as artifact folders (no compile in the loop).
  let work: string
  let v1: string
  let v2: string
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'jaegis-crash-'))
    await jaegis(['new', 'svc'], {}, work)
    v1 = join(work, 'v1')
    v2 = join(work, 'v2')
    expect((await jaegis(['build', 'svc', '--out', v1], {}, work)).code).toBe(0)
    const toml = join(work, 'svc', 'jaegis.toml')
    writeFileSync(toml, readFileSync(toml, 'utf8').replace('GREETING = "Hello"', 'GREETING = "Version two"'))
    const src = join(work, 'svc', 'assembly', 'index.ts') // new code too, so the wasm digest differs
    writeFileSync(src, readFileSync(src, 'utf8').replace(': "Hello")', ': "Hullo")'))
    expect((await jaegis(['build', 'svc', '--out', v2], {}, work)).code).toBe(0)
    expect(readFileSync(join(v2, 'artifact.json'), 'utf8')).not.toBe(readFileSync(join(v1, 'artifact.json'), 'utf8'))
  })

  for (const point of ['artifact-before-rename', 'after-artifact', 'before-rename', 'after-deployment']) {
    it(`a SIGKILL at "${point}" during a deploy leaves a consistent store`, async () => {
      const data = mkdtempSync(join(tmpdir(), `jaegis-crash-${point}-`))
      const env = { JAEGIS_DATA: data }
      const first = await serve(data)
      expect((await jaegis(['deploy', v1], { ...env, JAEGIS_URL: first.url })).code).toBe(0)
      first.child.kill('SIGTERM')
      expect(await exited(first.child)).toBe(0)

      // Same data, a server armed to die at `point` during the next deploy.
      const armed = await serve(data, { JAEGIS_TEST_CRASH_AT: point })
      const d = await jaegis(['deploy', v2], { ...env, JAEGIS_URL: armed.url })
      expect(d.code).toBe(1)
      await exited(armed.child)
      expect(armed.child.signalCode).toBe('SIGKILL')

      const after = await serve(data)
      try {
        const text = await (await fetch(`${after.url}/fn/svc`)).text()
        // Before the record is renamed the old version serves; after it, the new one. Never anything else.
        expect(text).toBe(point === 'after-deployment' ? 'Version two, world!\n' : 'Hello, world!\n')
        const list = await jaegis(['list', '--json'], { ...env, JAEGIS_URL: after.url })
        expect(JSON.parse(list.stdout)[0].status.state).toBe('serving')
      } finally {
        after.child.kill('SIGTERM')
        await exited(after.child)
      }
    })
  }

  it('finishes in-flight requests on SIGTERM and exits 0', async () => {
    const work = mkdtempSync(join(tmpdir(), 'jaegis-term-'))
    const s = await serve(join(work, 'data'))
    const env = { JAEGIS_DATA: join(work, 'data'), JAEGIS_URL: s.url }
    await jaegis(['new', 'slow'], env, work)
    await jaegis(['deploy', 'slow'], env, work)
    // A request whose body is still arriving when SIGTERM lands.
    const { request } = await import('node:http')
    const answer = new Promise<number>((resolve, reject) => {
      const req = request(`${s.url}/fn/slow`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode!))
      })
      req.on('error', reject)
      req.write('{"a":')
      setTimeout(() => {
        s.child.kill('SIGTERM')
        setTimeout(() => req.end('1}'), 200)
      }, 100)
    })
    expect(await answer).toBe(200)
    expect(await exited(s.child)).toBe(0)
  })
})
