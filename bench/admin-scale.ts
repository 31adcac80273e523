// npm run bench:admin -- [N] — the admin API and /metrics with N functions (default 2,000): one built
// example (hello) re-labelled with N names, deployed over HTTP; deploy time per 250, list time, and
// how long a hello sent during the list and during a /metrics scrape waits. Then big uploads: a
// 100 MiB one (over the default limit) and a 60 MiB one, with RSS and the slowest hello meanwhile.
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { readArtifactSync, sha256Hex, type Artifact } from '@jaegis/runtime'
import { startServer } from '@jaegis/server'
import { isMain, printResult, projectRoot, round } from './util.js'

const TOKEN = 'bench-token'

function form(a: Artifact, name: string): FormData {
  const f = new FormData()
  f.set('artifact', new Blob([JSON.stringify({ ...a.meta, config: { ...a.meta.config, name } })]), 'artifact.json')
  f.set('wasm', new Blob([a.wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
  return f
}

/** Runs `slow` and, once it is under way, a hello: how long each took and which finished first. */
async function during(url: string, slow: () => Promise<Response>): Promise<{ slow_ms: number; hello_ms: number; bytes: number }> {
  const t0 = performance.now()
  const slowDone = slow().then(async (r) => ({ bytes: (await r.arrayBuffer()).byteLength, ms: performance.now() - t0 }))
  await new Promise((r) => setTimeout(r, 2))
  const t1 = performance.now()
  await (await fetch(`${url}/fn/hello`)).arrayBuffer()
  const hello_ms = performance.now() - t1
  const s = await slowDone
  return { slow_ms: round(s.ms, 1), hello_ms: round(hello_ms, 1), bytes: s.bytes }
}

/** Deploys `n` functions, then lists them and scrapes /metrics, each with a hello sent meanwhile. */
export async function run(n: number) {
  const hello = readArtifactSync(join(projectRoot(), 'build', 'functions', 'hello'))
  const dataDir = mkdtempSync(join(tmpdir(), 'jaegis-bench-admin-'))
  const server = await startServer({ port: 0, dataDir, token: TOKEN, onError: () => {} })
  const auth = { authorization: `Bearer ${TOKEN}` }
  try {
    const perBatchMs: number[] = []
    let t = performance.now()
    for (let i = 0; i < n; i++) {
      const name = i === 0 ? 'hello' : `fn-${i}`
      const res = await fetch(`${server.url}/_api/v1/functions`, { method: 'POST', body: form(hello, name), headers: auth })
      if (res.status !== 201) throw new Error(`deploy ${name}: ${res.status} ${await res.text()}`)
      if ((i + 1) % 250 === 0 || i === n - 1) {
        perBatchMs.push(round(performance.now() - t, 0))
        t = performance.now()
      }
    }
    const list = await during(server.url, () => fetch(`${server.url}/_api/v1/functions`, { headers: auth }))
    for (let i = 0; i < n; i++) await (await fetch(`${server.url}/fn/${i === 0 ? 'hello' : `fn-${i}`}`)).arrayBuffer()
    const metrics = await during(server.url, () => fetch(`${server.url}/metrics`))
    const text = await (await fetch(`${server.url}/metrics`)).text()
    return {
      functions: n,
      deploy_ms_per_250: perBatchMs,
      list_ms: list.slow_ms,
      hello_during_list_ms: list.hello_ms,
      list_bytes: list.bytes,
      metrics_ms: metrics.slow_ms,
      hello_during_metrics_ms: metrics.hello_ms,
      metrics_bytes: metrics.bytes,
      metrics_lines: text.split('\n').length - 1,
    }
  } finally {
    await server.close(1000)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** A valid module of about `bytes` bytes: hello with a custom section. */
function padded(a: Artifact, name: string, bytes: number): Artifact {
  const leb: number[] = []
  let n = bytes + 5
  do {
    leb.push((n & 0x7f) | (n >>> 7 ? 0x80 : 0))
    n >>>= 7
  } while (n)
  const wasm = Buffer.concat([a.wasm, Buffer.from([0, ...leb, 4, 0x70, 0x61, 0x64, 0x21]), Buffer.alloc(bytes, 0x61)])
  return { meta: { ...a.meta, digest: sha256Hex(wasm), sizeBytes: wasm.length, config: { ...a.meta.config, name } }, wasm }
}

/** A child process's stdout, without holding this process's event loop. */
const run$ = (cmd: string, args: string[]) => new Promise<string>((resolve, reject) => execFile(cmd, args, (err, stdout) => (err ? reject(err) : resolve(stdout))))

/**
 * Uploads a module of about `bytes` bytes with curl to a `jaegis serve` child process while a hello goes
 * out every 10 ms: status, time, the server's peak RSS (VmHWM) before and after, the slowest hello.
 */
export async function upload(bytes: number) {
  const hello = readArtifactSync(join(projectRoot(), 'build', 'functions', 'hello'))
  const dir = mkdtempSync(join(tmpdir(), 'jaegis-bench-upload-'))
  const big = padded(hello, 'big', bytes)
  writeFileSync(join(dir, 'artifact.json'), JSON.stringify(big.meta))
  writeFileSync(join(dir, 'module.wasm'), big.wasm)
  const port = 20000 + Math.floor(Math.random() * 20000)
  const url = `http://127.0.0.1:${port}`
  const server = spawn(process.execPath, [join(projectRoot(), 'bin', 'jaegis.js'), 'serve', '--examples', '--port', String(port), '--data', join(dir, 'data')], { stdio: 'ignore', env: { ...process.env, JAEGIS_TOKEN: TOKEN } })
  const peakRssMib = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]) / 1024
  try {
    while (!(await fetch(`${url}/fn/hello`).then((r) => r.ok, () => false))) await new Promise((r) => setTimeout(r, 50))
    for (let i = 0; i < 200; i++) await (await fetch(`${url}/fn/hello`)).arrayBuffer()
    const rssBefore = peakRssMib()
    let slowest = 0
    let stop = false
    const pinger = (async () => {
      while (!stop) {
        const t = performance.now()
        await (await fetch(`${url}/fn/hello`)).arrayBuffer()
        slowest = Math.max(slowest, performance.now() - t)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    const t0 = performance.now()
    const status = await run$('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Authorization: Bearer ${TOKEN}`, '-F', `artifact=@${join(dir, 'artifact.json')}`, '-F', `wasm=@${join(dir, 'module.wasm')}`, `${url}/_api/v1/functions`])
    const ms = performance.now() - t0
    stop = true
    await pinger
    return { upload_mib: round(big.wasm.length / 1048576, 1), status: Number(status), ms: round(ms, 0), server_peak_rss_mib_before: round(rssBefore, 0), server_peak_rss_mib_after: round(peakRssMib(), 0), slowest_hello_ms: round(slowest, 1) }
  } finally {
    server.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  }
}

if (isMain(import.meta.url)) {
  const n = Number(process.argv[2] ?? 2000)
  printResult({ ...(await run(n)), upload_100mib: await upload(100 * 1048576), upload_60mib: await upload(60 * 1048576) })
}
