// Deploy uploads: a size limit (413 before or while the body arrives), spooled to disk as they arrive
// (other requests keep being answered), and a client that goes away mid-body is not an internal error.
import { mkdtempSync, readdirSync, statSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { connect, createServer as createNetServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readArtifactSync, sha256Hex, type Artifact } from '../runtime/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { ROOT } from './helpers.js'

const TOKEN = 'upload-test-token'
const LIMIT = 4 * 1024 * 1024
let hello: Artifact
let server: JaegisServer
let dataDir: string
const internalErrors: unknown[] = []

/** LEB128 of an unsigned integer, for a section size. */
const leb = (n: number) => {
  const out: number[] = []
  do {
    let b = n & 0x7f
    n >>>= 7
    if (n) b |= 0x80
    out.push(b)
  } while (n)
  return out
}
/** `a` renamed, with a custom section of `bytes` bytes appended: a valid module of about that size. */
function padded(a: Artifact, name: string, bytes: number): Artifact {
  const label = [4, ...Buffer.from('pad!')]
  const wasm = Buffer.concat([a.wasm, Buffer.from([0, ...leb(label.length + bytes), ...label]), Buffer.alloc(bytes, 0x61)])
  return { meta: { ...a.meta, digest: sha256Hex(wasm), sizeBytes: wasm.length, config: { ...a.meta.config, name } }, wasm }
}
/** The multipart body curl -F would send. */
function multipart(a: Artifact, boundary = 'jaegis-test-boundary'): { body: Buffer; type: string } {
  const part = (name: string, file: string, data: Uint8Array) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${file}"\r\nContent-Type: application/octet-stream\r\n\r\n`), data, Buffer.from('\r\n')])
  const body = Buffer.concat([part('artifact', 'artifact.json', Buffer.from(JSON.stringify(a.meta))), part('wasm', 'module.wasm', a.wasm), Buffer.from(`--${boundary}--\r\n`)])
  return { body, type: `multipart/form-data; boundary=${boundary}` }
}
const uploads = () => readdirSync(join(dataDir, 'uploads'))
const deploy = (body: BodyInit, type: string, extra: RequestInit = {}) =>
  fetch(`${server.url}/_api/v1/functions`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type }, ...extra })

beforeAll(async () => {
  hello = readArtifactSync(join(ROOT, 'build', 'functions', 'hello'))
  dataDir = mkdtempSync(join(tmpdir(), 'jaegis-upload-'))
  server = await startServer({ port: 0, dataDir, token: TOKEN, autoscale: false, maxUploadBytes: LIMIT, deployOnStart: [hello], onError: (_ref, err) => internalErrors.push(err) })
})
afterAll(() => server?.close(1000))

describe('deploy uploads', () => {
  it('refuses an upload over --max-upload with 413 from its Content-Length, without reading it', async () => {
    const { body, type } = multipart(padded(hello, 'big', LIMIT + 1))
    const res = await deploy(body, type)
    expect(res.status).toBe(413)
    const { error } = (await res.json()) as { error: { code: string; message: string } }
    expect(error).toEqual({ code: 'BODY_TOO_LARGE', message: `artifact upload is over the server's limit of ${LIMIT} bytes (jaegis serve --max-upload)` })
    expect((await fetch(`${server.url}/fn/big`)).status).toBe(404)
  })

  it('refuses a chunked upload once it passes the limit, and keeps nothing of it', async () => {
    const { body, type } = multipart(padded(hello, 'big', LIMIT + 1))
    let sent = 0
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= body.length) return controller.close()
        controller.enqueue(body.subarray(sent, sent + 65536))
        sent += 65536
      },
    })
    const res = await deploy(stream, type, { duplex: 'half' } as RequestInit)
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE')
    expect(uploads()).toEqual([])
  })

  it('spools an upload to disk as it arrives, answering other requests meanwhile, then deploys it', async () => {
    const { body, type } = multipart(padded(hello, 'padded', LIMIT - 64 * 1024))
    const socket = connect(server.port, '127.0.0.1')
    const response = new Promise<string>((resolve) => {
      let text = ''
      socket.on('data', (c) => (text += c.toString('latin1')))
      socket.on('close', () => resolve(text))
    })
    socket.write(`POST /_api/v1/functions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`)
    const half = body.length >> 1
    socket.write(body.subarray(0, half))
    // The first half is on disk (not in memory) before the rest is sent...
    for (let i = 0; uploads().length === 0 || statSync(join(dataDir, 'uploads', uploads()[0]!)).size < half - 64 * 1024; i++) {
      if (i > 500) throw new Error('the upload was not spooled to disk as it arrived')
      await new Promise((r) => setTimeout(r, 10))
    }
    // ...and the server answers others while the upload is half-way.
    expect(await (await fetch(`${server.url}/fn/hello?name=meanwhile`)).text()).toBe('Hello, meanwhile!\n')
    socket.write(body.subarray(half))
    expect(await response).toMatch(/^HTTP\/1\.1 201 /)
    expect((await fetch(`${server.url}/fn/padded`)).status).toBe(200)
    expect(uploads()).toEqual([])
  }, 30_000)

  it('treats a client that goes away mid-body as a client event: no internal error, nothing left behind', async () => {
    const { body, type } = multipart(padded(hello, 'gone', 1024 * 1024))
    const socket = connect(server.port, '127.0.0.1')
    socket.write(`POST /_api/v1/functions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\n\r\n`)
    socket.write(body.subarray(0, body.length >> 1))
    for (let i = 0; uploads().length === 0; i++) {
      if (i > 500) throw new Error('the upload never started')
      await new Promise((r) => setTimeout(r, 10))
    }
    socket.destroy()
    for (let i = 0; uploads().length > 0; i++) {
      if (i > 500) throw new Error('the aborted upload was left on disk')
      await new Promise((r) => setTimeout(r, 10))
    }
    await new Promise((r) => setTimeout(r, 50))
    expect(internalErrors).toEqual([])
    expect((await fetch(`${server.url}/fn/gone`)).status).toBe(404)
    expect((await fetch(`${server.url}/fn/hello`)).status).toBe(200)
  })

  it('still takes what curl -F sends, and refuses a body cut before its closing boundary', async () => {
    const ok = multipart({ ...hello, meta: { ...hello.meta, config: { ...hello.meta.config, name: 'curl' } } })
    expect((await deploy(ok.body, ok.type)).status).toBe(201)
    const cut = multipart({ ...hello, meta: { ...hello.meta, config: { ...hello.meta.config, name: 'cut' } } })
    const res = await deploy(cut.body.subarray(0, cut.body.length - 20), cut.type)
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/closing boundary/)
    expect(internalErrors).toEqual([])
  })
})

describe('jaegis serve --max-upload', () => {
  it('sets the limit the API enforces', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createNetServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number }
        s.close(() => resolve(port))
      })
    })
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'jaegis.js'), 'serve', '--port', String(port), '--data', mkdtempSync(join(tmpdir(), 'jaegis-upload-cli-')), '--max-upload', '1KiB'], { stdio: 'ignore', env: { ...process.env, JAEGIS_TOKEN: TOKEN } })
    try {
      for (let i = 0; !(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)); i++) {
        if (i > 200 || child.exitCode !== null) throw new Error('server did not start')
        await new Promise((r) => setTimeout(r, 50))
      }
      const { body, type } = multipart(hello)
      const res = await fetch(`http://127.0.0.1:${port}/_api/v1/functions`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type } })
      expect(res.status).toBe(413)
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('limit of 1024 bytes')
    } finally {
      child.kill('SIGKILL')
    }
  }, 30_000)
})
