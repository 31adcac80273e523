// npm run bench:components — the same JavaScript component (the `jaegis new --lang js` scaffold,
// which exports its own incomingHandler) served by `jco serve` and by a Jaegis server, autocannon
// against both in the same run with the same connections and duration, alternating A/B, each server
// in its own process. Also host-warm (new instance, module compiled) and host-cold (artifact read from
// disk, verified, compiled, instantiated) latencies. Last line: one JSON object.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { createRuntime, LruModuleCache, readArtifact, readArtifactSync } from '@jaegis/runtime'
import { createGateway } from '@jaegis/gateway'
import { clearGlueCache } from '@jaegis/runtime/component/component-host'
import { buildComponentFunction, scaffoldJsFunction } from '@jaegis/compiler/component'
import { isMain, percentile, printResult, projectRoot, round } from './util.js'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const HOSTWARM_SAMPLES = Number(process.env.BENCH_HOSTWARM_SAMPLES ?? 40)
const HOSTCOLD_SAMPLES = Number(process.env.BENCH_HOSTCOLD_SAMPLES ?? 5)
const WARMUP_REQUESTS = Number(process.env.BENCH_WARMUP_REQUESTS ?? 3000)

/** Builds the scaffolded JavaScript function (componentize-js results are cached between runs). */
async function buildScaffold(): Promise<{ artifactDir: string; componentPath: string; work: string }> {
  const work = mkdtempSync(join(tmpdir(), 'jaegis-bench-components-'))
  const { dir } = await scaffoldJsFunction(work, 'hello-js')
  const built = await buildComponentFunction(dir)
  const componentPath = join(built.outDir, 'module.wasm') // the component as built, which jco serve runs
  return { artifactDir: built.outDir, componentPath, work }
}

/** Child process: serve the artifact with `jaegis serve` (startServer) or, if that cannot deploy it, with the runtime's gateway alone. */
async function serveJaegis(artifactDir: string): Promise<void> {
  const artifact = await readArtifact(artifactDir)
  let port: number | undefined
  let how = 'jaegis serve'
  try {
    const serverModule = '../server/index.js'
    const { startServer } = (await import(serverModule)) as typeof import('@jaegis/server')
    const server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-bench-data-')), token: 'bench', deployOnStart: [artifact], onError: () => {} })
    if (server.deployed.some((d) => d.name === artifact.meta.config.name)) port = server.port
    else await server.close(100)
  } catch {
    port = undefined
  }
  if (port === undefined) {
    // The server could not deploy a component artifact yet: same gateway code, without the admin API and store.
    how = 'runtime gateway (jaegis serve could not deploy the component)'
    const runtime = createRuntime()
    runtime.load(artifact)
    const gateway = createGateway(runtime, {})
    const server = createServer({ keepAlive: true }, (req, res) => {
      if (!gateway(req, res)) res.writeHead(404).end()
    })
    server.keepAliveTimeout = 5_000
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    port = (server.address() as { port: number }).port
  }
  process.stderr.write(`jaegis target: ${how}\n`)
  process.stdout.write(`listening ${port}\n`)
}

async function startJaegis(artifactDir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--serve-jaegis', artifactDir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let buf = ''
  for await (const chunk of child.stdout!) {
    buf += String(chunk)
    const m = /listening (\d+)/.exec(buf)
    if (m) return { child, url: `http://127.0.0.1:${m[1]}/fn/hello-js?name=bench` }
  }
  throw new Error('the jaegis target exited before listening')
}

async function startJcoServe(componentPath: string): Promise<{ child: ChildProcess; url: string }> {
  const port = 20000 + Math.floor(Math.random() * 20000)
  const bin = realpathSync(join(projectRoot(), 'node_modules', '.bin', 'jco'))
  // Its own process group: jco serve runs the server in a child process of its own, which must go too.
  const child = spawn(process.execPath, [bin, 'serve', componentPath, '--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  child.stdout!.resume()
  child.stderr!.resume()
  const url = `http://127.0.0.1:${port}/fn/hello-js?name=bench`
  const deadline = performance.now() + 120_000
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`jco serve exited with ${child.exitCode}`)
    try {
      const res = await fetch(url)
      await res.arrayBuffer()
      if (res.status === 200) return { child, url }
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  throw new Error('jco serve did not answer within 120 s')
}

async function load(url: string, durationS = DURATION_S): Promise<{ rps: number; p99: number; errors: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: durationS, pipelining: 1 })
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx }
}

/** Host-warm: the module is compiled in this process and the pool is empty, so each request instantiates. */
function hostWarm(artifactDir: string): number[] {
  const rt = createRuntime({ moduleCache: new LruModuleCache() })
  rt.load(artifactDir)
  rt.setPool('hello-js', { minWarm: 0, maxWarm: 0 })
  const out: number[] = []
  for (let i = 0; i < HOSTWARM_SAMPLES + 3; i++) {
    const t0 = performance.now()
    const res = rt.invokeSync('hello-js', { query: 'name=warm' })
    const ms = performance.now() - t0
    if (res.status !== 200) throw new Error(`host-warm request answered ${res.status}`)
    if (i >= 3) out.push(ms)
  }
  rt.close()
  return out
}

/** Host-cold: nothing of the function in this process: read + verify the artifact, compile, instantiate, answer. */
function hostCold(artifactDir: string): number[] {
  const out: number[] = []
  for (let i = 0; i < HOSTCOLD_SAMPLES; i++) {
    clearGlueCache()
    const rt = createRuntime({ moduleCache: new LruModuleCache() })
    const t0 = performance.now()
    rt.loadCold(readArtifactSync(artifactDir))
    const res = rt.invokeSync('hello-js', { query: 'name=cold' })
    out.push(performance.now() - t0)
    if (res.status !== 200) throw new Error(`host-cold request answered ${res.status}`)
    rt.close()
  }
  return out
}

export async function run(): Promise<Record<string, number | null>> {
  const { artifactDir, componentPath, work } = await buildScaffold()
  const hostwarm = hostWarm(artifactDir)
  const hostcold = hostCold(artifactDir)
  process.stderr.write(`host-warm p50 ${round(percentile(hostwarm, 50))} ms p99 ${round(percentile(hostwarm, 99))} ms; host-cold p50 ${round(percentile(hostcold, 50))} ms p99 ${round(percentile(hostcold, 99))} ms\n`)
  const children: ChildProcess[] = []
  try {
    const jaegis = await startJaegis(artifactDir)
    children.push(jaegis.child)
    let jco: { child: ChildProcess; url: string } | undefined
    try {
      jco = await startJcoServe(componentPath)
      children.push(jco.child)
    } catch (err) {
      process.stderr.write(`jco serve unavailable: ${(err as Error).message}\n`)
    }
    const targets = { jaegis: jaegis.url, ...(jco ? { jco: jco.url } : {}) } as Record<'jaegis' | 'jco', string>
    // Warm-up by request count, not time: V8 tiers the 12 MB engine up after enough calls, and until
    // then a request can take tens of ms. Both targets get the same number.
    for (const url of Object.values(targets)) await autocannon({ url, connections: CONNECTIONS, amount: WARMUP_REQUESTS })
    const rps: Record<string, number[]> = { jaegis: [], jco: [] }
    for (let i = 0; i < ROUNDS; i++) {
      const order = (i % 2 === 0 ? ['jaegis', 'jco'] : ['jco', 'jaegis']).filter((k) => k in targets) as Array<'jaegis' | 'jco'>
      for (const kind of order) {
        const r = await load(targets[kind])
        rps[kind]!.push(r.rps)
        process.stderr.write(`round ${i + 1} ${kind}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, errors ${r.errors}\n`)
      }
    }
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
    const jaegisRps = mean(rps.jaegis!)
    const jcoRps = mean(rps.jco!)
    return {
      jaegis_rps: Math.round(jaegisRps),
      jco_serve_rps: Number.isFinite(jcoRps) ? Math.round(jcoRps) : null,
      ratio: Number.isFinite(jcoRps) && jcoRps > 0 ? round(jaegisRps / jcoRps, 2) : null,
      hostwarm_p99_ms: round(percentile(hostwarm, 99), 2),
      hostcold_p99_ms: round(percentile(hostcold, 99), 1),
    }
  } finally {
    for (const c of children) {
      if (c.exitCode !== null || c.signalCode !== null) continue
      const exited = once(c, 'exit').catch(() => {})
      if (c.spawnargs.includes('serve')) process.kill(-c.pid!, 'SIGTERM')
      else c.kill('SIGTERM')
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    }
    if (existsSync(work)) rmSync(work, { recursive: true, force: true })
  }
}

if (process.argv[2] === '--serve-jaegis') {
  await serveJaegis(process.argv[3]!)
  process.on('SIGTERM', () => process.exit(0))
} else if (isMain(import.meta.url)) {
  printResult(await run())
  process.exit(0) // the runtimes' helper threads and timers must not keep the benchmark alive
}
