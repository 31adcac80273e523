// npm run bench:coldstart — the three kinds of start for `hello` and the 1 MiB-init `lookup`:
// warm (a pooled instance is ready), host-warm (module compiled, no instance), host-cold (artifact
// bytes on disk, nothing compiled), plus how much the snapshot saves over running init().
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { build } from '@jaegis/compiler'
import { ARTIFACT_META_FILE, ARTIFACT_WASM_FILE, LruModuleCache, compileModule, createRuntime, instantiate, meterModule, readArtifactSync, sha256Hex, wasmBinary, type Artifact, type InvocationContext } from '@jaegis/runtime'
import { isMain, percentile, printResult, projectRoot, round } from './util.js'

const WARM_SAMPLES = 5000
const HOSTWARM_SAMPLES = 2000
const HOSTCOLD_SAMPLES = 60

const nextTick = () => new Promise<void>((r) => setImmediate(r))
const us = (t0: number) => (performance.now() - t0) * 1000

interface StartTimes {
  warm_p50_us: number
  warm_p99_us: number
  hostwarm_p50_us: number
  hostwarm_p99_us: number
  hostcold_p50_ms: number
  hostcold_p99_ms: number
}

async function measure(name: string, dir: string, query: string): Promise<StartTimes> {
  const artifact = readArtifactSync(dir)
  const rt = createRuntime({ moduleCache: new LruModuleCache() })
  rt.load(artifact)

  // warm: the previous instance is reset off the request path (setImmediate), as under real traffic.
  const warm: number[] = []
  for (let i = 0; i < WARM_SAMPLES + 500; i++) {
    await nextTick()
    const t0 = performance.now()
    rt.invokeSync(name, { query })
    if (i >= 500) warm.push(us(t0))
  }
  // host-warm: no instance is kept, so each invocation instantiates from the compiled snapshot.
  rt.setPool(name, { minWarm: 0, maxWarm: 0 })
  await nextTick()
  const hostwarm: number[] = []
  for (let i = 0; i < HOSTWARM_SAMPLES + 100; i++) {
    const t0 = performance.now()
    rt.invokeSync(name, { query })
    if (i >= 100) hostwarm.push(us(t0))
    if (i % 50 === 0) await nextTick()
  }
  const s = rt.stats().functions[name]!.starts
  if (s.hostwarm < HOSTWARM_SAMPLES) throw new Error(`expected host-warm starts, saw ${JSON.stringify(s)}`)
  rt.close()

  // host-cold: a distinct artifact on disk per sample (a nonce custom section changes the bytes, so
  // neither our cache nor V8's per-process native-module cache can serve it): read, verify, meter,
  // compile, instantiate, invoke.
  const root = mkdtempSync(join(tmpdir(), `jaegis-cold-${name}-`))
  const dirs: string[] = []
  for (let i = 0; i < HOSTCOLD_SAMPLES + 5; i++) {
    const wasm = withNonce(artifact.wasm, `${name}-${i}-${process.pid}`)
    const d = join(root, String(i))
    mkdirSync(d)
    writeFileSync(join(d, ARTIFACT_WASM_FILE), wasm)
    writeFileSync(join(d, ARTIFACT_META_FILE), JSON.stringify({ ...artifact.meta, digest: sha256Hex(wasm), sizeBytes: wasm.byteLength }))
    dirs.push(d)
  }
  const hostcold: number[] = []
  for (let i = 0; i < dirs.length; i++) {
    await nextTick()
    const cold = createRuntime({ moduleCache: new LruModuleCache() })
    const t0 = performance.now()
    cold.loadCold(dirs[i]!)
    cold.invokeSync(name, { query })
    const ms = performance.now() - t0
    if (i >= 5) hostcold.push(ms)
    cold.close()
  }
  rmSync(root, { recursive: true, force: true })

  return {
    warm_p50_us: round(percentile(warm, 50), 2),
    warm_p99_us: round(percentile(warm, 99), 2),
    hostwarm_p50_us: round(percentile(hostwarm, 50), 2),
    hostwarm_p99_us: round(percentile(hostwarm, 99), 2),
    hostcold_p50_ms: round(percentile(hostcold, 50), 3),
    hostcold_p99_ms: round(percentile(hostcold, 99), 3),
  }
}

function withNonce(wasm: Uint8Array, nonce: string): Uint8Array {
  const payload = new wasmBinary.Writer().name('jaegis.nonce').bytes(new TextEncoder().encode(nonce)).finish()
  const section = new wasmBinary.Writer().section(0, payload).finish()
  const out = new Uint8Array(wasm.length + section.length)
  out.set(wasm)
  out.set(section, wasm.length)
  return out
}

/** time(fresh instance + init()) / time(instance from the snapshot), both from compiled modules. */
async function snapshotSpeedup(snapshotDir: string, sourceDir: string): Promise<{ speedup: number; fresh_init_us: number; snapshot_us: number }> {
  const snap: Artifact = readArtifactSync(snapshotDir)
  const raw = await build(sourceDir, { outDir: mkdtempSync(join(tmpdir(), 'jaegis-raw-')), noSnapshot: true })
  const limit = snap.meta.config.limits.memoryBytes
  const ctx: InvocationContext = { deadline: Infinity, timeoutMs: 60_000, memoryLimitBytes: limit, fuelPerCheck: 10_000, env: {}, log: () => {} }
  const pages = limit / 65536
  const snapModule = compileModule(meterModule(snap.wasm, { maxMemoryPages: pages }).bytes)
  const rawModule = compileModule(meterModule(raw.artifact.wasm, { maxMemoryPages: pages }).bytes)
  const fresh: number[] = []
  const fromSnap: number[] = []
  for (let i = 0; i < 40; i++) {
    let t0 = performance.now()
    const e = instantiate(rawModule, ctx)
    ;(e.__jaegis_init as () => void)()
    fresh.push(us(t0))
    t0 = performance.now()
    instantiate(snapModule, ctx)
    fromSnap.push(us(t0))
    await nextTick()
  }
  const f = percentile(fresh.slice(5), 50)
  const s = percentile(fromSnap.slice(5), 50)
  return { speedup: round(f / s, 1), fresh_init_us: round(f, 1), snapshot_us: round(s, 1) }
}

export async function run(): Promise<Record<string, unknown>> {
  const root = projectRoot()
  const built = (n: string) => join(root, 'build', 'functions', n)
  const hello = await measure('hello', built('hello'), 'name=bench')
  const lookup = await measure('lookup', built('lookup'), 'n=27')
  const snap = await snapshotSpeedup(built('lookup'), join(root, 'functions', 'lookup'))
  return { hello, lookup, snapshot_speedup: snap.speedup, snapshot_detail: { fresh_instance_plus_init_us: snap.fresh_init_us, instance_from_snapshot_us: snap.snapshot_us } }
}

if (isMain(import.meta.url)) {
  const result = await run()
  console.log('cold starts (hello, lookup with a 1 MiB init table):')
  console.table({ hello: (result as { hello: StartTimes }).hello, lookup: (result as { lookup: StartTimes }).lookup })
  printResult(result)
}
