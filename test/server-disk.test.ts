// jaegis serve when the disk fails or fills: deploys refused as NO_SPACE (507) without leftovers, log
// lines lost while full counted and reported, unused artifacts collected (never one a version needs),
// and a server whose own output goes to a full disk keeps running.
import { spawn } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { readArtifactSync, sha256Hex, type Artifact } from '../runtime/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { FileStore } from '../server/store/file-store.js'
import { ApiClient } from '../cli/client.js'
import { FullDiskFs } from './faulty-fs.js'
import { buildFunction, ROOT } from './helpers.js'

const TOKEN = 'disk-test-token'
let hello: Artifact
let misbehave: Artifact
const servers: JaegisServer[] = []

/** `a` with `tag` appended as a custom section: same code, another digest; optionally another name. */
function variant(a: Artifact, tag: string, name = a.meta.config.name): Artifact {
  const payload = new TextEncoder().encode(tag)
  const wasm = new Uint8Array([...a.wasm, 0, payload.length + 1, 0, ...payload])
  return { meta: { ...a.meta, digest: sha256Hex(wasm), sizeBytes: wasm.length, config: { ...a.meta.config, name } }, wasm }
}
const form = (a: Artifact) => {
  const f = new FormData()
  f.set('artifact', new Blob([JSON.stringify(a.meta)]), 'artifact.json')
  f.set('wasm', new Blob([a.wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
  return f
}
const api = (server: JaegisServer, method: string, path: string, body?: BodyInit) =>
  fetch(`${server.url}/_api/v1${path}`, { method, body, headers: { authorization: `Bearer ${TOKEN}` } })
const tmpFiles = (dir: string) => ['artifacts', 'deployments', 'logs'].flatMap((sub) => readdirSync(join(dir, sub)).filter((e) => e.startsWith('.tmp-')))
const artifactsIn = (dir: string) => readdirSync(join(dir, 'artifacts')).sort()

async function serve(dir: string, fs?: FullDiskFs): Promise<JaegisServer> {
  const server = await startServer({ port: 0, dataDir: dir, token: TOKEN, onError: () => {}, autoscale: false, ...(fs ? { store: await FileStore.open(dir, { fs }) } : {}) })
  servers.push(server)
  return server
}

beforeAll(async () => {
  hello = readArtifactSync(join(ROOT, 'build', 'functions', 'hello'))
  misbehave = (await buildFunction('misbehave')).artifact
}, 60_000)
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close(1000)
})

describe('a full data directory', () => {
  it('refuses a deploy with 507 NO_SPACE, leaves no temporary files, and keeps the previous version serving', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-disk-'))
    const fs = new FullDiskFs()
    const server = await serve(dir, fs)
    expect((await api(server, 'POST', '/functions', form(hello))).status).toBe(201)
    fs.full = true
    const res = await api(server, 'POST', '/functions', form(variant(hello, 'v2')))
    expect(res.status).toBe(507)
    const { error } = (await res.json()) as { error: { code: string; message: string } }
    expect(error.code).toBe('NO_SPACE')
    expect(error.message).toMatch(/^no space left on the data directory/)
    // What the CLI shows: the message, not "internal error (reference ...)".
    const cli = await new ApiClient(server.url, TOKEN).request('POST', '/_api/v1/functions', form(variant(hello, 'v3'))).catch((err: Error & { code: string }) => err)
    expect(cli).toMatchObject({ code: 'NO_SPACE', message: expect.stringMatching(/no space left on the data directory/) })
    expect(tmpFiles(dir)).toEqual([])
    expect(artifactsIn(dir)).toEqual([hello.meta.digest])
    expect(await (await fetch(`${server.url}/fn/hello?name=disk`)).text()).toBe('Hello, disk!\n')
    expect(((await (await api(server, 'GET', '/functions/hello')).json()) as { version: number }).version).toBe(1)
  })

  it('drops the artifact of a deploy whose deployment record could not be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-disk-'))
    const fs = new FullDiskFs()
    const server = await serve(dir, fs)
    expect((await api(server, 'POST', '/functions', form(hello))).status).toBe(201)
    fs.full = (path) => path.includes('/deployments/')
    expect((await api(server, 'POST', '/functions', form(variant(hello, 'v2')))).status).toBe(507)
    expect(tmpFiles(dir)).toEqual([])
    expect(artifactsIn(dir)).toEqual([hello.meta.digest])
  })

  it('counts log lines lost while full in /metrics, and says so in the function log once space returns', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-disk-'))
    const fs = new FullDiskFs()
    const server = await serve(dir, fs)
    expect((await api(server, 'POST', '/functions', form(misbehave))).status).toBe(201)
    await api(server, 'GET', '/functions/misbehave/logs') // flushes the deploy's own line
    fs.full = true
    for (let i = 0; i < 3; i++) expect(await (await fetch(`${server.url}/fn/misbehave/log`)).text()).toBe('logged')
    expect((await api(server, 'GET', '/functions/misbehave/logs')).status).toBe(200) // flushes: refused
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(/^jaegis_log_lines_dropped_total 6$/m)
    fs.full = false
    // Reported as soon as the log can be written, without waiting for the function to log again.
    type Logs = { logs: Array<{ level: string; message: string }> }
    const after = (await (await api(server, 'GET', '/functions/misbehave/logs?limit=1')).json()) as Logs
    expect(after.logs).toEqual([expect.objectContaining({ level: 'warn', message: expect.stringMatching(/^6 log line\(s\) were dropped: no space left on the data directory/) })])
    await fetch(`${server.url}/fn/misbehave/log`)
    const { logs } = (await (await api(server, 'GET', '/functions/misbehave/logs?limit=3')).json()) as Logs
    expect(logs.map((l) => l.message)).toEqual([expect.stringMatching(/^6 log line/), 'info line', 'error line'])
  })
})

describe('unused artifacts', () => {
  it('are collected at start and after deletes, never one a serving version or a rollback target refers to', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-gc-'))
    const [v1, orphan, other] = [variant(hello, 'v1'), variant(hello, 'left by a kill'), variant(hello, 'other', 'other')]
    const store = await FileStore.open(dir)
    for (const a of [hello, v1, orphan]) await store.putArtifact(a)
    const at = new Date().toISOString()
    await store.putDeployment({ name: 'hello', current: 2, versions: [{ version: 1, digest: v1.meta.digest, deployedAt: at, config: v1.meta.config }, { version: 2, digest: hello.meta.digest, deployedAt: at, config: hello.meta.config }] })
    await store.close()

    const server = await serve(dir)
    expect(artifactsIn(dir)).toEqual([hello.meta.digest, v1.meta.digest].sort())
    expect((await api(server, 'POST', '/functions/hello/rollback', '{}')).status).toBe(200)

    // A removed function's artifact goes; one another function still uses stays.
    expect((await api(server, 'POST', '/functions', form(other))).status).toBe(201)
    expect((await api(server, 'POST', '/functions', form(variant(hello, 'v1', 'twin')))).status).toBe(201)
    expect(artifactsIn(dir)).toEqual([hello.meta.digest, v1.meta.digest, other.meta.digest].sort())
    expect((await api(server, 'DELETE', '/functions/other')).status).toBe(200)
    expect((await api(server, 'DELETE', '/functions/twin')).status).toBe(200)
    expect(artifactsIn(dir)).toEqual([hello.meta.digest, v1.meta.digest].sort())
    expect((await fetch(`${server.url}/fn/hello`)).status).toBe(200)
  })
})

describe('server output on a full disk', () => {
  const freePort = () =>
    new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number }
        s.close(() => resolve(port))
      })
    })

  // /dev/full answers every write with ENOSPC: stdout and stderr on a full disk, without filling one.
  it.runIf(existsSync('/dev/full'))('keeps serving after an internal error it cannot log, and exits 0 on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-stdio-'))
    // A function whose versions' artifacts are gone: rolling back is an internal error, logged to stderr.
    const store = await FileStore.open(dir)
    const at = new Date().toISOString()
    await store.putDeployment({ name: 'ghost', current: 2, versions: [1, 2].map((version) => ({ version, digest: String(version).repeat(64), deployedAt: at, config: { ...hello.meta.config, name: 'ghost' } })) })
    await store.close()
    const port = await freePort()
    const full = openSync('/dev/full', 'w')
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'jaegis.js'), 'serve', '--port', String(port), '--data', dir], { stdio: ['ignore', full, full], env: { ...process.env, JAEGIS_TOKEN: TOKEN } })
    closeSync(full)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      const url = `http://127.0.0.1:${port}`
      for (let i = 0; ; i++) {
        const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false)
        if (up) break
        if (i > 200 || child.exitCode !== null) throw new Error(`server did not start (exit ${child.exitCode})`)
        await new Promise((r) => setTimeout(r, 50))
      }
      const res = await fetch(`${url}/_api/v1/functions/ghost/rollback`, { method: 'POST', body: '{}', headers: { authorization: `Bearer ${TOKEN}` } })
      expect(res.status).toBe(500)
      await new Promise((r) => setTimeout(r, 100))
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    } finally {
      child.kill('SIGKILL')
    }
  }, 30_000)
})
