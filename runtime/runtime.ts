// The embeddable runtime: load artifacts, invoke functions, size pools, read stats. Invocations run
// on the calling thread inside metered modules, so a deadline stops a function wherever it loops.
import { performance } from 'node:perf_hooks'
import { checkAbi, type FunctionRequest, type FunctionResponse } from './abi/index.js'
import { readArtifactSync, type Artifact, type FunctionConfig } from './artifact.js'
import { JaegisError } from './errors.js'
import { FunctionHost, type FunctionStats, type StartKind } from './function-host.js'
import type { LogLevel } from './instance.js'
import { LruModuleCache, defaultModuleCache } from './module-cache.js'
import { meterModule } from './wasm/meter.js'
import { createNonCoreHost, type NonCoreHost } from './component/index.js'
import { isReservedPath } from '../artifact/index.js'

/** One log line from a function. */
export interface LogEntry {
  function: string
  digest: string
  level: LogLevel
  message: string
  /** Milliseconds since the epoch. */
  timeMs: number
}

/** Reported after every invocation, success or not (metrics hang off this). */
export interface InvokeEvent {
  function: string
  digest: string
  start: StartKind
  /** When the invocation started, in ms since the epoch (sub-millisecond, monotonic within a process). */
  startMs: number
  durationMs: number
  status?: number
  errorCode?: string
}

export interface RuntimeOptions {
  /** Where compiled modules are cached. @default the process-wide cache */
  moduleCache?: LruModuleCache
  /** Receives every log line. @default none (lines are dropped) */
  onLog?: (entry: LogEntry) => void
  /** Receives one event per invocation. @default none */
  onInvoke?: (event: InvokeEvent) => void
  /** Loop iterations and calls between two deadline checks. @default 10000 */
  fuelPerCheck?: number
}

/** A validated, warm function version that does not serve yet (Runtime.prepare). */
export interface PreparedFunction {
  readonly host: FunctionHost | NonCoreHost
  readonly result: LoadResult
}

/** What `load` reports. */
export interface LoadResult {
  name: string
  digest: string
  /** Time to meter, compile and pre-warm, in ms. */
  loadMs: number
  /** True when the compiled module came from the cache. */
  cached: boolean
}

export class Runtime {
  private readonly functions = new Map<string, FunctionHost | NonCoreHost>()
  private readonly cache: LruModuleCache
  private readonly options: RuntimeOptions
  private closed = false
  /** Functions whose next invocation is the first after an on-the-request-path load. */
  private readonly coldPending = new Set<string>()
  /** Route prefix -> function name, for functions whose manifest claims a route. */
  private readonly routes = new Map<string, string>()

  constructor(options: RuntimeOptions = {}) {
    this.options = options
    this.cache = options.moduleCache ?? defaultModuleCache
  }

  /**
   * Loads an artifact (object or directory path) and makes it the serving version of its function.
   * The new version's pool is warm before it replaces the old one.
   */
  load(artifactOrDir: Artifact | string): LoadResult {
    const prepared = this.prepare(artifactOrDir)
    this.activate(prepared)
    return prepared.result
  }

  /**
   * Validates, compiles and warms an artifact without serving it: every error a load can raise is
   * raised here. Pass the result to activate(), or drop it with discard().
   */
  prepare(artifactOrDir: Artifact | string): PreparedFunction {
    this.assertOpen()
    const t0 = performance.now()
    const artifact = typeof artifactOrDir === 'string' ? readArtifactSync(artifactOrDir) : artifactOrDir
    const { config, digest } = artifact.meta
    this.checkRoute(config)
    if (artifact.meta.kind !== 'core') {
      // Components and WASI command modules (runtime/component): same pools, limits, logs and errors.
      const { host, cached } = createNonCoreHost(artifact, { moduleCache: this.cache, fuelPerCheck: this.options.fuelPerCheck ?? 10_000, onLog: this.logFor(config.name, digest) })
      return { host, result: { name: config.name, digest, loadMs: performance.now() - t0, cached } }
    }
    const fuel = this.options.fuelPerCheck ?? 10_000
    const maxPages = Math.floor(config.limits.memoryBytes / 65536)
    const key = `${digest}:m${maxPages}:f${fuel}:imported-memory:reset-fn`
    let module = this.cache.peek(key)
    const cached = module !== undefined
    const meter = (dirtyChunks: boolean) => meterModule(artifact.wasm, { maxMemoryPages: maxPages, fuelPerCheck: fuel, importMemory: true, resetFunction: true, dirtyChunks })
    const metered = meter(false)
    if (!metered.memoryImage) throw new JaegisError('INVALID_WASM', 'module has passive data segments or non-constant data offsets, which Jaegis does not support')
    if (!module) module = this.cache.get(metered.bytes, key).module
    checkAbi(module)
    const host = new FunctionHost({
      config,
      digest,
      module,
      mutableGlobals: metered.mutableGlobals,
      resetFunction: metered.resetFunction,
      memoryImage: metered.memoryImage,
      maxMemoryPages: maxPages,
      fuelPerCheck: fuel,
      onLog: this.logFor(config.name, digest),
      trackedModule: () => {
        const tracked = meter(true)
        if (tracked.dirtyChunkShift === undefined) return undefined
        return { module: this.cache.get(tracked.bytes, `${key}:dirty-chunks`).module, dirtyChunkShift: tracked.dirtyChunkShift }
      },
    })
    return { host, result: { name: config.name, digest, loadMs: performance.now() - t0, cached } }
  }

  /** Makes a prepared function the serving version of its name; the old version stops. */
  activate(prepared: PreparedFunction): void {
    this.assertOpen()
    const { host } = prepared
    const config = host.config
    this.checkRoute(config)
    const old = this.functions.get(config.name)
    if (old?.config.route !== undefined && this.routes.get(old.config.route) === config.name) this.routes.delete(old.config.route)
    if (config.route !== undefined) this.routes.set(config.route, config.name)
    this.functions.set(config.name, host)
    old?.close()
  }

  /** Drops a prepared function that will not be activated. */
  discard(prepared: PreparedFunction): void {
    prepared.host.close()
  }

  /** A function's log sink: tags each line and hands it to options.onLog (or drops it). */
  private logFor(name: string, digest: string): (level: LogLevel, message: string) => void {
    const onLog = this.options.onLog
    return onLog ? (level, message) => onLog({ function: name, digest, level, message, timeMs: Date.now() }) : () => {}
  }

  private checkRoute(config: FunctionConfig): void {
    const owner = config.route === undefined ? undefined : this.routes.get(config.route)
    if (owner !== undefined && owner !== config.name) {
      throw new JaegisError('CONFLICT', `route ${config.route} is already claimed by function "${owner}"; remove it there or pick another route`)
    }
  }

  /** Loads a function on the request path and marks its next invocation as a host-cold start. */
  loadCold(artifactOrDir: Artifact | string): LoadResult {
    const r = this.load(artifactOrDir)
    this.coldPending.add(r.name)
    return r
  }

  /** Stops serving a function. Unknown names are ignored. */
  unload(name: string): boolean {
    const host = this.functions.get(name)
    if (host?.config.route !== undefined && this.routes.get(host.config.route) === name) this.routes.delete(host.config.route)
    host?.close()
    return this.functions.delete(name)
  }

  /**
   * The function whose claimed route is the longest prefix of `path` (whole segments only), and
   * the rest of the path below it; undefined when none matches.
   */
  resolveRoute(path: string): { name: string; rest: string } | undefined {
    if (this.routes.size === 0 || isReservedPath(path)) return undefined // the platform's paths win whatever is loaded
    for (let end = path.length; end > 0; end = path.lastIndexOf('/', end - 1)) {
      const name = this.routes.get(path.slice(0, end))
      if (name !== undefined) return { name, rest: path.slice(end) || '/' }
    }
    return undefined
  }

  /** The configuration of a loaded function. */
  config(name: string): FunctionConfig | undefined {
    return this.functions.get(name)?.config
  }

  has(name: string): boolean {
    return this.functions.has(name)
  }

  /** Names and digests of loaded functions. */
  list(): Array<{ name: string; digest: string }> {
    return [...this.functions.values()].map((h) => ({ name: h.config.name, digest: h.digest }))
  }

  /** Runs one invocation on this thread and returns its response; throws a JaegisError on failure. */
  invokeSync(name: string, req: FunctionRequest = {}): FunctionResponse {
    this.assertOpen()
    const host = this.functions.get(name)
    if (!host) throw new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`)
    const body = req.body
    const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : (body?.byteLength ?? 0)
    if (bodyBytes > host.config.limits.bodyBytes) {
      throw new JaegisError('BODY_TOO_LARGE', `request body of ${bodyBytes} bytes is over the function's limit of ${host.config.limits.bodyBytes} bytes`)
    }
    const cold = this.coldPending.size > 0 && this.coldPending.delete(name)
    const t0 = performance.now()
    const onInvoke = this.options.onInvoke
    try {
      const { response, start } = host.invoke(req, cold ? 'hostcold' : undefined)
      onInvoke?.({ function: name, digest: host.digest, start, startMs: performance.timeOrigin + t0, durationMs: performance.now() - t0, status: response.status })
      return response
    } catch (err) {
      onInvoke?.({ function: name, digest: host.digest, start: cold ? 'hostcold' : 'warm', startMs: performance.timeOrigin + t0, durationMs: performance.now() - t0, errorCode: (err as JaegisError).code })
      throw err
    }
  }

  /** Promise form of invokeSync, for callers that treat every runtime as asynchronous. */
  async invoke(name: string, req: FunctionRequest = {}): Promise<FunctionResponse> {
    return this.invokeSync(name, req)
  }

  /** Sets how many instances of `name` are kept ready (the scheduler drives this). */
  setPool(name: string, pool: { minWarm?: number; maxWarm?: number }): void {
    const host = this.functions.get(name)
    if (!host) throw new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`)
    host.setPool(pool.minWarm ?? host.minWarm, pool.maxWarm ?? host.maxWarm)
  }

  /** Per-function counters and the module cache's size. */
  stats(): { functions: Record<string, FunctionStats & { digest: string }>; moduleCache: ReturnType<LruModuleCache['stats']> } {
    const functions: Record<string, FunctionStats & { digest: string }> = {}
    for (const [name, h] of this.functions) functions[name] = { ...structuredClone(h.stats), digest: h.digest }
    return { functions, moduleCache: this.cache.stats() }
  }

  /** Unloads everything. Later calls throw CLOSED. */
  close(): void {
    for (const h of this.functions.values()) h.close()
    this.functions.clear()
    this.closed = true
  }

  private assertOpen(): void {
    if (this.closed) throw new JaegisError('CLOSED', 'runtime is closed')
  }
}

/** Creates an embeddable runtime. */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return new Runtime(options)
}
