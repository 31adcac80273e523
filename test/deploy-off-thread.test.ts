// A deploy must not hold the thread that serves requests. Deriving a JavaScript component's parts
// (jco's transpile and the metering: seconds of CPU), the signature check, compiling and the trial
// request all run off it (runtime/offload, prepareAsync); what is left there is the instance warm-up.
// Measured as the longest the gateway thread went without running a 2 ms timer while the deploy ran,
// against the deploy's own duration (a ratio, so a loaded machine slows both alike).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readArtifactSync, type Artifact } from '../runtime/index.js'
import { buildComponentFunction, scaffoldJsFunction } from '../compiler/component/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { ROOT } from './helpers.js'

const TOKEN = 'off-thread-test-token'
let js: Artifact
let server: JaegisServer

/** The multipart body `jaegis deploy` sends: artifact.json and the original module.wasm (the server derives the rest). */
function multipart(a: Artifact, boundary = 'jaegis-off-thread'): { body: Buffer; type: string } {
  const part = (name: string, file: string, data: Uint8Array) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${file}"\r\nContent-Type: application/octet-stream\r\n\r\n`), data, Buffer.from('\r\n')])
  return { body: Buffer.concat([part('artifact', 'artifact.json', Buffer.from(JSON.stringify(a.meta))), part('wasm', 'module.wasm', a.wasm), Buffer.from(`--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` }
}

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'jaegis-off-thread-'))
  // componentize-js output is cached by source: the same scaffold as other tests costs no build here.
  js = (await buildComponentFunction((await scaffoldJsFunction(base, 'offthread')).dir)).artifact
  const hello = readArtifactSync(join(ROOT, 'build', 'functions', 'hello'))
  server = await startServer({ port: 0, dataDir: join(base, 'data'), token: TOKEN, autoscale: false, deployOnStart: [hello] })
}, 600_000)
afterAll(() => server?.close(1000))

describe('a deploy off the gateway thread', () => {
  it("deploys a JavaScript component while the gateway thread keeps turning, and hello keeps answering", async () => {
    let last = performance.now()
    let maxGap = 0
    const timer = setInterval(() => {
      const now = performance.now()
      maxGap = Math.max(maxGap, now - last)
      last = now
    }, 2)
    let helloAnswers = 0
    let deploying = true
    const probe = (async () => {
      while (deploying) {
        const r = await fetch(`${server.url}/fn/hello`)
        await r.text()
        if (r.status === 200) helloAnswers++
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    const t0 = performance.now()
    const { body, type } = multipart(js)
    const res = await fetch(`${server.url}/_api/v1/functions`, { method: 'POST', body, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': type } })
    const deployMs = performance.now() - t0
    deploying = false
    await probe
    clearInterval(timer)
    expect(res.status, await res.clone().text()).toBeLessThan(300)
    expect((await fetch(`${server.url}/fn/offthread`)).status).toBe(200)
    // Before: the transpile alone held the thread for most of the deploy (4.1 s of a ~6 s deploy at load 13).
    expect(maxGap, `longest stall ${maxGap.toFixed(0)} ms in a ${deployMs.toFixed(0)} ms deploy`).toBeLessThan(deployMs * 0.25)
    expect(helloAnswers).toBeGreaterThan(0)
  }, 120_000)
})
