// npm run bench:components — the same JavaScript component (the `jaegis new --lang js` scaffold,
// which exports its own incomingHandler) served by `jco serve` and by a Jaegis server, autocannon
// against both in the same run with the same connections and duration, alternating A/B, each server
// in its own process. Also host-warm (new instance, module compiled) and host-cold (artifact read from
// disk, verified, compiled, instantiated) latencies; a prebuilt Rust wasi:http component with fresh
// state (reset per request) against the same with reuse; the host's share of a request; RSS per warm
// instance of each kind (bench/component-measures.ts). Last line: one JSON object.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { createRuntime, LruModuleCache, readArtifact, readArtifactSync } from '@jaegis/runtime'
import { createGateway } from '@jaegis/gateway'
import { startServer } from '@jaegis/server'
import { clearGlueCache } from '@jaegis/runtime/component/component-host'
import { buildComponentFunction, scaffoldJsFunction } from '@jaegis/compiler/component'
import { isMain, percentile, printResult, projectRoot, round, startTarget } from './util.js'
import { buildRustArtifacts, guestHandlerUs, processCpuMs, rssPerInstance } from './component-measures.js'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const HOSTWARM_SAMPLES = Number(process.env.BENCH_HOSTWARM_SAMPLES ?? 40)
/** Requests before host-warm samples count: V8 tiers the engine's 10 MB of wasm up in background threads meanwhile, which the CPU times would include. */
const HOSTWARM_WARMUP = Number(process.env.BENCH_HOSTWARM_WARMUP ?? 30)
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

/** Child process: serve the artifacts with `jaegis serve` (startServer) or, if that cannot deploy them, with the runtime's gateway alone. */
async function serveJaegis(artifactDirs: string[]): Promise<void> {
  const artifacts = await Promise.all(artifactDirs.map((d) => readArtifact(d)))
  let port: number | undefined
  let how = 'jaegis serve'
  try {
    // Diagnostics, to tell the costs apart (the default is what the keys report): BENCH_COMPONENTS_TARGET=gateway,
    // the runtime's gateway alone on node:http; =serve-without-lanes, jaegis serve with every invocation inline.
    const target = process.env.BENCH_COMPONENTS_TARGET
    if (target === 'gateway') throw new Error('BENCH_COMPONENTS_TARGET=gateway')
    if (target === 'serve-without-lanes') how = 'jaegis serve without lanes (BENCH_COMPONENTS_TARGET)'
    const server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-bench-data-')), token: 'bench', deployOnStart: artifacts, onError: () => {}, ...(target === 'serve-without-lanes' ? { lanes: false } : {}) })
    if (artifacts.every((a) => server.deployed.some((d) => d.name === a.meta.config.name))) port = server.port
    else await server.close(100)
  } catch (err) {
    process.stderr.write(`jaegis serve failed: ${(err as Error).message}\n`)
    port = undefined
  }
  if (port === undefined) {
    // The server could not deploy a component artifact yet: same gateway code, without the admin API and store.
    how = 'runtime gateway (jaegis serve could not deploy the component)'
    const runtime = createRuntime()
    for (const artifact of artifacts) runtime.load(artifact)
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

/** Serves the artifacts in one Jaegis process (BENCH_TARGET_NODE_FLAGS reach it); `url(name)` is a function's URL there. */
async function startJaegis(artifactDirs: string[]): Promise<{ child: ChildProcess; url: (name: string) => string }> {
  const { child, port } = await startTarget('./components.js', ['--serve-jaegis', ...artifactDirs])
  return { child, url: (name) => `http://127.0.0.1:${port}/fn/${name}?name=bench` }
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

/**
 * Host-warm: the module is compiled in this process and no instance is ready. With `newInstance` the pool
 * keeps none, so each request instantiates; otherwise the function has fresh state and the pool one
 * instance, which every request finds still dirty from the one before (this loop never yields to the
 * reset scheduled off the request path): the request pays for its reset, the path a fresh-state
 * request takes when no instance is ready.
 */
function hostWarm(artifactDir: string, newInstance: boolean): { wallMs: number[]; cpuMs: number[] } {
  const rt = createRuntime({ moduleCache: new LruModuleCache() })
  const artifact = readArtifactSync(artifactDir)
  artifact.meta.config.reuse = false
  rt.load(artifact)
  rt.setPool('hello-js', newInstance ? { minWarm: 0, maxWarm: 0 } : { minWarm: 0, maxWarm: 1 })
  const out = { wallMs: [] as number[], cpuMs: [] as number[] }
  for (let i = 0; i < HOSTWARM_SAMPLES + HOSTWARM_WARMUP; i++) {
    const t0 = performance.now()
    const c0 = process.cpuUsage()
    const res = rt.invokeSync('hello-js', { query: 'name=warm' })
    const cpu = process.cpuUsage(c0)
    const ms = performance.now() - t0
    if (res.status !== 200) throw new Error(`host-warm request answered ${res.status}`)
    // CPU time of the process (all its threads) during the request: what it costs, whatever else runs on the machine.
    if (i >= HOSTWARM_WARMUP) {
      out.wallMs.push(ms)
      out.cpuMs.push((cpu.user + cpu.system) / 1000)
    }
  }
  const starts = rt.stats().functions['hello-js']!.starts
  // Without a new instance, every request after the first must have been served by a reset one.
  if (!newInstance && starts.hostwarm > 1) throw new Error(`host-warm by reset made ${starts.hostwarm} new instances`)
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
  const rust = await buildRustArtifacts(work)
  const hostwarm = hostWarm(artifactDir, false)
  const hostwarmNew = hostWarm(artifactDir, true)
  const hostcold = hostCold(artifactDir)
  const p = (xs: number[], q: number) => round(percentile(xs, q))
  process.stderr.write(`host-warm (reset on the request path) p50 ${p(hostwarm.wallMs, 50)} ms p99 ${p(hostwarm.wallMs, 99)} ms (CPU p50 ${p(hostwarm.cpuMs, 50)} p99 ${p(hostwarm.cpuMs, 99)}); host-warm (new instance) p50 ${p(hostwarmNew.wallMs, 50)} ms p99 ${p(hostwarmNew.wallMs, 99)} ms (CPU p50 ${p(hostwarmNew.cpuMs, 50)} p99 ${p(hostwarmNew.cpuMs, 99)}); host-cold p50 ${p(hostcold, 50)} ms p99 ${p(hostcold, 99)} ms\n`)
  const guest = guestHandlerUs(artifactDir, '/?name=bench')
  process.stderr.write(`guest handler alone, in process: ${round(guest.wallUs, 1)} us (CPU ${round(guest.cpuUs, 1)} us)\n`)
  const rss: Record<string, Awaited<ReturnType<typeof rssPerInstance>>> = {}
  const coreHello = join(projectRoot(), 'build', 'functions', 'hello')
  for (const [kind, dir] of [['js', artifactDir], ['rust', rust.fresh], ['core', coreHello]] as const) {
    rss[kind] = await rssPerInstance(dir)
    process.stderr.write(`RSS ${kind}: ${JSON.stringify(rss[kind])}\n`)
  }
  const children: ChildProcess[] = []
  try {
    const jaegis = await startJaegis([artifactDir, rust.fresh, rust.reuse])
    children.push(jaegis.child)
    let jco: { child: ChildProcess; url: string } | undefined
    try {
      jco = await startJcoServe(componentPath)
      children.push(jco.child)
    } catch (err) {
      process.stderr.write(`jco serve unavailable: ${(err as Error).message}\n`)
    }
    const targets = { jaegis: jaegis.url('hello-js'), ...(jco ? { jco: jco.url } : {}) } as Record<'jaegis' | 'jco', string>
    // Warm-up by request count, not time: V8 tiers the 12 MB engine up after enough calls, and until
    // then a request can take tens of ms. Both targets get the same number.
    for (const url of Object.values(targets)) await autocannon({ url, connections: CONNECTIONS, amount: WARMUP_REQUESTS })
    const rps: Record<string, number[]> = { jaegis: [], jco: [] }
    /** The Jaegis server's CPU time per request (all its threads), per round. */
    const jaegisCpuUsPerRequest: number[] = []
    for (let i = 0; i < ROUNDS; i++) {
      const order = (i % 2 === 0 ? ['jaegis', 'jco'] : ['jco', 'jaegis']).filter((k) => k in targets) as Array<'jaegis' | 'jco'>
      for (const kind of order) {
        const cpu0 = kind === 'jaegis' ? processCpuMs(jaegis.child.pid!) : undefined
        const r = await load(targets[kind])
        const cpu1 = kind === 'jaegis' ? processCpuMs(jaegis.child.pid!) : undefined
        if (cpu0 !== undefined && cpu1 !== undefined && r.rps > 0) jaegisCpuUsPerRequest.push(((cpu1 - cpu0) * 1000) / (r.rps * DURATION_S))
        rps[kind]!.push(r.rps)
        process.stderr.write(`round ${i + 1} ${kind}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, errors ${r.errors}\n`)
      }
    }
    // The Rust component with fresh state (reset per request) and with reuse, alternating, same server.
    const rustUrls = { fresh: jaegis.url('rust-fresh'), reuse: jaegis.url('rust-reuse') }
    for (const url of Object.values(rustUrls)) await autocannon({ url, connections: CONNECTIONS, amount: WARMUP_REQUESTS })
    const rustRps: Record<'fresh' | 'reuse', number[]> = { fresh: [], reuse: [] }
    for (let i = 0; i < ROUNDS; i++) {
      for (const kind of i % 2 === 0 ? (['fresh', 'reuse'] as const) : (['reuse', 'fresh'] as const)) {
        const r = await load(rustUrls[kind])
        rustRps[kind].push(r.rps)
        process.stderr.write(`round ${i + 1} rust ${kind}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, errors ${r.errors}\n`)
      }
    }
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
    const jaegisRps = mean(rps.jaegis!)
    const jcoRps = mean(rps.jco!)
    const freshRps = mean(rustRps.fresh)
    const reuseRps = mean(rustRps.reuse)
    const mb = (x: number) => round(x, 2)
    return {
      jaegis_rps: Math.round(jaegisRps),
      jco_serve_rps: Number.isFinite(jcoRps) ? Math.round(jcoRps) : null,
      ratio: Number.isFinite(jcoRps) && jcoRps > 0 ? round(jaegisRps / jcoRps, 2) : null,
      hostwarm_p99_ms: round(percentile(hostwarm.wallMs, 99), 2),
      hostwarm_cpu_p99_ms: round(percentile(hostwarm.cpuMs, 99), 2),
      hostwarm_new_instance_p99_ms: round(percentile(hostwarmNew.wallMs, 99), 2),
      hostwarm_new_instance_cpu_p99_ms: round(percentile(hostwarmNew.cpuMs, 99), 2),
      hostcold_p99_ms: round(percentile(hostcold, 99), 1),
      rust_fresh_rps: Math.round(freshRps),
      rust_reuse_rps: Math.round(reuseRps),
      rust_fresh_over_reuse: round(freshRps / reuseRps, 2),
      guest_us: round(guest.wallUs, 1),
      guest_cpu_us: round(guest.cpuUs, 1),
      server_cpu_us_per_request: round(mean(jaegisCpuUsPerRequest), 1),
      // CPU time on both sides, so that the machine's load (which stretches wall time unevenly) does not enter.
      host_share: jaegisCpuUsPerRequest.length ? round(Math.max(0, 1 - guest.cpuUs / mean(jaegisCpuUsPerRequest)), 2) : null,
      rss_mb_per_warm_js_instance: mb(rss.js!.perInstanceMb),
      rss_mb_per_warm_rust_instance: mb(rss.rust!.perInstanceMb),
      rss_mb_per_warm_core_instance: mb(rss.core!.perInstanceMb),
      js_linear_memory_mb: mb(rss.js!.linearMemoryMb),
      rss_mb_after_shrink_js: mb(rss.js!.afterShrinkMb),
      rss_mb_after_shrink_rust: mb(rss.rust!.afterShrinkMb),
      rss_mb_after_shrink_core: mb(rss.core!.afterShrinkMb),
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
  await serveJaegis(process.argv.slice(3))
  process.on('SIGTERM', () => process.exit(0))
} else if (process.argv[2] === '--hostwarm-only') {
  // Diagnostic: the host-warm loop alone, on a built scaffold (`jaegis new hello-js --lang js`, then its
  // build folder), so that V8 flags (`node --liftoff-only ...`) can be compared on it. Not the benchmark's keys.
  const r = hostWarm(process.argv[3]!, false)
  const p = (xs: number[], q: number) => round(percentile(xs, q))
  process.stdout.write(`${JSON.stringify({ flags: process.execArgv.join(' '), warmup: HOSTWARM_WARMUP, samples: HOSTWARM_SAMPLES, wall_p50_ms: p(r.wallMs, 50), wall_p99_ms: p(r.wallMs, 99), cpu_p50_ms: p(r.cpuMs, 50), cpu_p99_ms: p(r.cpuMs, 99) })}\n`)
  process.exit(0)
} else if (isMain(import.meta.url)) {
  printResult(await run())
  process.exit(0) // the runtimes' helper threads and timers must not keep the benchmark alive
}
