// Measurements of bench:components besides throughput against jco serve: the prebuilt Rust wasi:http
// component built twice (fresh state and reuse), the guest's own share of a request, and memory per
// warm instance of each kind (in a child process of its own, so that nothing else is on its heap).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { LruModuleCache, createRuntime, readArtifactSync, type FunctionConfig } from '@jaegis/runtime'
import { ComponentStrategy } from '@jaegis/runtime/component/component-host'
import { Fields, IncomingRequest, ResponseOutparam } from '@jaegis/runtime/component/wasi/http'
import { SpareMemories } from '@jaegis/runtime/pool/spare-memories'
import { buildComponentArtifact } from '@jaegis/compiler/component'
import { isMain, projectRoot } from './util.js'

/** The third-party Rust hello (test/fixtures/components/third-party/ORIGIN.md). */
export const RUST_HELLO = join(projectRoot(), 'test', 'fixtures', 'components', 'third-party', 'hello-wasi-http.wasm')

/** Builds the Rust hello as `rust-fresh` (fresh state per request, by reset) and `rust-reuse` (`[instance] reuse = true`) under `dir`. */
export async function buildRustArtifacts(dir: string): Promise<{ fresh: string; reuse: string }> {
  const wasm = readFileSync(RUST_HELLO)
  const out = { fresh: join(dir, 'rust-fresh'), reuse: join(dir, 'rust-reuse') }
  for (const [name, reuse] of [['rust-fresh', false], ['rust-reuse', true]] as const) {
    const config: FunctionConfig = { name, limits: { memoryBytes: 16 << 20, timeoutMs: 5000, bodyBytes: 1 << 20, maxConcurrency: 0, maxQueue: 1000 }, env: {}, pool: { minWarm: 1, maxWarm: 8 }, reuse, requireKey: false }
    await buildComponentArtifact({ wasm, config, outDir: name === 'rust-fresh' ? out.fresh : out.reuse })
  }
  return out
}

/**
 * Microseconds the guest's handler takes alone, in process, on one warm instance of the artifact: only
 * the call of the exported `handle` is timed, the host's request objects are made outside the timing.
 * `wallUs` is elapsed time, `cpuUs` the process's CPU time (what the machine's load does not change).
 */
export function guestHandlerUs(artifactDir: string, path: string, warmup = 3000, samples = 5000): { wallUs: number; cpuUs: number } {
  const artifact = readArtifactSync(artifactDir)
  const strategy = new ComponentStrategy(artifact, { moduleCache: new LruModuleCache(), fuelPerCheck: 10_000, onLog: () => {} })
  const inst = strategy.create(new SpareMemories()) as unknown as { exports: Record<string, { handle(r: IncomingRequest, o: ResponseOutparam): void }>; deadline: { deadline: number } }
  const handler = inst.exports[artifact.meta.component!.export!]!
  const [p, q] = path.split('?')
  let total = 0
  let cpuTotal = 0
  for (let i = 0; i < warmup + samples; i++) {
    inst.deadline.deadline = performance.now() + 5000
    const request = new IncomingRequest('GET', q ? `${p}?${q}` : p!, 'localhost', Fields.fromPairs([['host', 'localhost']], true), new Uint8Array(0))
    const out = new ResponseOutparam()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    handler.handle(request, out)
    const t = performance.now() - t0
    const c = process.cpuUsage(c0)
    if (out.result?.tag !== 'ok') throw new Error('the guest did not answer')
    if (i >= warmup) {
      total += t
      cpuTotal += c.user + c.system
    }
  }
  return { wallUs: (total / samples) * 1000, cpuUs: cpuTotal / samples }
}

/** CPU time (user + system, all threads) a process has used so far, in ms, from /proc (Linux; undefined elsewhere). */
export function processCpuMs(pid: number): number | undefined {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S
  } catch {
    return undefined
  }
}

/** USER_HZ: 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100

export interface RssResult {
  /** RSS with the function loaded and one instance, MB. */
  baseMb: number
  /** RSS per additional warm instance, MB. */
  perInstanceMb: number
  /** RSS after the pool shrank back to one instance, minus baseMb. */
  afterShrinkMb: number
  /** Linear memory of one instance, MB. */
  linearMemoryMb: number
}

/** RSS per warm instance of one function (an artifact folder), measured in a fresh child process. */
export async function rssPerInstance(artifactDir: string, instances = 8): Promise<RssResult> {
  const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--rss', artifactDir, String(instances)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  for await (const chunk of child.stdout!) out += String(chunk)
  const line = out.trim().split('\n').pop()
  if (!line?.startsWith('{')) throw new Error(`the RSS child printed no result for ${artifactDir}`)
  return JSON.parse(line) as RssResult
}

const MB = 1024 * 1024
const settle = async () => {
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 50))
    ;(globalThis as { gc?: () => void }).gc?.()
  }
  return process.memoryUsage().rss / MB
}

/** Child: loads the function, adds `instances` warm ones, shrinks back to one, printing RSS at each step. */
async function measureRss(artifactDir: string, instances: number): Promise<RssResult> {
  const artifact = readArtifactSync(artifactDir)
  const name = artifact.meta.config.name
  const rt = createRuntime({ moduleCache: new LruModuleCache() })
  artifact.meta.config.pool = { minWarm: 1, maxWarm: 1 }
  rt.load(artifact)
  rt.invokeSync(name, { path: '/' })
  const baseMb = await settle()
  rt.setPool(name, { minWarm: instances + 1, maxWarm: instances + 1 })
  await settle()
  const ready = rt.stats().functions[name]!.pool.ready
  const warmMb = await settle()
  rt.setPool(name, { minWarm: 1, maxWarm: 1 })
  const shrunkMb = await settle()
  const linear = artifact.meta.component?.initialMemoryBytes ?? 0
  rt.close()
  return { baseMb, perInstanceMb: (warmMb - baseMb) / Math.max(1, ready - 1), afterShrinkMb: shrunkMb - baseMb, linearMemoryMb: linear / MB }
}

if (isMain(import.meta.url) && process.argv[2] === '--rss') {
  process.stdout.write(JSON.stringify(await measureRss(process.argv[3]!, Number(process.argv[4] ?? 8))) + '\n')
  process.exit(0)
}
