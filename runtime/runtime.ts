// The embeddable runtime: load artifacts, invoke functions, size pools, read stats. Invocations run
// inside metered modules, so a deadline stops a function wherever it loops: on the calling thread
// (invokeSync, and every invocation of a runtime without lanes) or, with `lanes`, in worker-thread
// lanes for whatever is not proven short (dispatch / invoke; see lanes/policy.ts).
import { performance } from 'node:perf_hooks'
import { checkAbi, type FunctionRequest, type FunctionResponse } from './abi/index.js'
import { readArtifact, readArtifactSync, type Artifact, type FunctionConfig } from './artifact.js'
import { JaegisError, isJaegisError } from './errors.js'
import { createCoreHost, type TrackingPolicy } from './core-strategy.js'
import type { LogLevel } from './instance.js'
import { LruModuleCache, compileModuleAsync, defaultModuleCache } from './module-cache.js'
import { meterModule, type MeterOptions, type MeteredModule } from './wasm/meter.js'
import { dirtyMarksOffThread, glueBodyOffThread, meterOffThread, signatureCheckNeeded, verifyOffThread } from './offload/index.js'
import { reachesMemory, trackedKey, trackedShift } from './component/dirty.js'
import { putRewrittenGlue } from './component/component-host.js'
import { createNonCoreHost } from './component/index.js'
import type { FunctionHost, FunctionStats, InvokeOptions, StartKind } from './pool/instance-pool.js'
import { LaneSet, type LaneOptions } from './lanes/lanes.js'
import { InlinePolicy, LANE_POLICY, inlineBeforeProof, inlineEligible } from './lanes/policy.js'
import type { LaneLoad } from './lanes/protocol.js'
import { checkArtifactSignature, isReservedPath, type SignaturePolicy } from '@jaegis/artifact'
import { runTrial, type TrialOutcome } from './trial.js'
import { sha256Hex } from './module-cache.js'

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
  /**
   * Run what is not proven short in worker-thread lanes (`dispatch`/`invoke`), so that no function
   * holds the calling thread for more than a slice. `true` for the defaults. @default false (every
   * invocation runs on the calling thread)
   */
  lanes?: boolean | LaneOptions
  /**
   * Other runtimes that serve the same functions (the worker processes of `jaegis serve --workers`):
   * told about every activation, unload and pool change; their stats are added to this one's.
   * @default none
   */
  replicas?: RuntimeReplicas
  /** When a core function moves to the dirty-tracking module. @default DEFAULT_TRACKING_POLICY (32 invocations averaging under 0.25 ms) */
  tracking?: TrackingPolicy
  /**
   * Which artifact signatures prepare() and load() accept, checked before anything is compiled
   * (artifact/signing: trust list, require-signed). A signature that is present is checked even with
   * the default. `false` only for runtimes that load what another runtime in this deployment has
   * already checked (lane threads, `--workers` replicas). @default {} (unsigned artifacts run; signed ones must verify)
   */
  signatures?: SignaturePolicy | false
}

/** Runtimes elsewhere that mirror this one (see RuntimeOptions.replicas). */
export interface RuntimeReplicas {
  activated(artifact: Artifact): void
  unloaded(name: string): void
  poolSet(name: string, minWarm: number, maxWarm: number): void
  /** Each replica's last reported per-function stats. */
  stats(): Array<Record<string, FunctionStats & { digest: string }>>
  /** Resolves once every replica has applied every change told so far. */
  synced(): Promise<void>
}

/** Options of one invocation. */
export type InvokeSyncOptions = InvokeOptions

/** A validated, warm function version that does not serve yet (Runtime.prepare). */
export interface PreparedFunction {
  readonly host: FunctionHost
  readonly result: LoadResult
  /** The artifact it came from (lanes load it on demand). */
  readonly artifact: Artifact
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
  private readonly functions = new Map<string, FunctionHost>()
  private readonly cache: LruModuleCache
  private readonly options: RuntimeOptions
  private closed = false
  /** Functions whose next invocation is the first after an on-the-request-path load. */
  private readonly coldPending = new Set<string>()
  /** Route prefix -> function name, for functions whose manifest claims a route. */
  private readonly routes = new Map<string, string>()
  /** Serving artifacts by name (kept only with lanes, which load them on demand). */
  private readonly artifacts = new Map<string, Artifact>()
  private readonly lanes: LaneSet | undefined
  private readonly inlinePolicy = new InlinePolicy()
  /** Inline attempts stopped at their slice since start (laneStats). */
  private sliceStops = 0
  /** Ticks between two fuel checks of every metered module (RuntimeOptions.fuelPerCheck). */
  private readonly fuelPerCheck: number
  /** Log lines of an attempt on the calling thread that may still be stopped and re-run elsewhere. */
  private heldLogs: LogEntry[] | undefined

  constructor(options: RuntimeOptions = {}) {
    this.options = options
    this.fuelPerCheck = options.fuelPerCheck ?? 10_000
    this.cache = options.moduleCache ?? defaultModuleCache
    if (options.lanes) {
      this.lanes = new LaneSet(
        {
          fuelPerCheck: this.fuelPerCheck,
          onLog: (e) => options.onLog?.(e),
          onInvoke: (e) => options.onInvoke?.(e),
          loadFor: (name) => this.laneLoad(name),
          laneRan: (name, digest, ms, fuelChecks) => this.inlinePolicy.laneRan(name, digest, ms, fuelChecks),
          isLong: (name, digest) => this.inlinePolicy.long(name, digest),
        },
        options.lanes === true ? {} : options.lanes,
      )
    }
  }

  /**
   * Lanes running, busy, invocations waiting for one, and inline attempts stopped at their slice (each
   * run again in a lane: time this thread spent for nothing) since start (undefined without lanes).
   */
  laneStats(): { lanes: number; busy: number; waiting: number; stopped: number } | undefined {
    return this.lanes && { ...this.lanes.size, stopped: this.sliceStops }
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
    this.checkSignature(artifact)
    return this.prepareChecked(artifact, t0)
  }

  /**
   * prepare() for a thread that serves requests: the signature check, the metering and the compiling
   * run off this thread (offload/: a worker thread, and V8's background compiler), so what is left here
   * is the instance warm-up. What a deploy, a rollback or a cluster host loading its plan uses.
   */
  async prepareAsync(artifactOrDir: Artifact | string): Promise<PreparedFunction> {
    this.assertOpen()
    const t0 = performance.now()
    const artifact = typeof artifactOrDir === 'string' ? await readArtifact(artifactOrDir) : artifactOrDir
    await verifyOffThread(artifact.meta, artifact.wasm, this.options.signatures ?? {})
    let compiled = false
    let premetered: { plain: MeteredModule; tracked: MeteredModule } | undefined
    if (artifact.meta.kind === 'core') {
      const m = this.meterOptions(artifact)
      const [plain, tracked] = await Promise.all([meterOffThread(artifact.wasm, { ...m.options, dirtyChunks: false }), meterOffThread(artifact.wasm, { ...m.options, dirtyChunks: true })])
      premetered = { plain, tracked }
      if (plain.memoryImage && !this.cache.peek(m.key)) {
        this.cache.put(m.key, await compileModuleAsync(plain.bytes), plain.bytes.byteLength)
        compiled = true
      }
      if (tracked.dirtyChunkShift !== undefined && !this.cache.peek(`${m.key}:dirty-chunks`)) this.cache.put(`${m.key}:dirty-chunks`, await compileModuleAsync(tracked.bytes), tracked.bytes.byteLength)
    } else {
      const files = artifact.files ?? {}
      const glue = artifact.meta.component?.glue
      const glueText = glue && files[glue.file]
      if (glue && glueText) putRewrittenGlue(glue.digest, await glueBodyOffThread(new TextDecoder().decode(glueText)))
      const parts = artifact.meta.component?.coreModules ?? []
      for (const part of parts) {
        const bytes = files[part.file]
        if (!bytes || this.cache.peek(part.digest)) continue
        // The digest is checked against the bytes when the host takes the part (checkComponentParts).
        this.cache.put(part.digest, await compileModuleAsync(bytes), bytes.byteLength)
        compiled = true
      }
      // Fresh-state components are reset after every request from what it wrote (component/dirty.ts): their
      // core modules' marked copies are made here, off the thread, not when the host is created.
      const shift = artifact.meta.config.reuse && artifact.meta.component?.world === 'http' ? undefined : trackedShift(parts.flatMap((p) => (p.memoryImage ? [files[p.memoryImage.file]?.byteLength ?? 0] : [])))
      for (const part of shift === undefined ? [] : parts) {
        const bytes = files[part.file]
        const module = this.cache.peek(part.digest)
        const key = trackedKey(part.digest, shift!)
        if (!bytes || !module || this.cache.peek(key) || !reachesMemory(module, part.memoryImage !== undefined)) continue
        const marked = await dirtyMarksOffThread(bytes, shift!)
        if (marked) this.cache.put(key, await compileModuleAsync(marked), marked.byteLength)
      }
    }
    this.assertOpen()
    const prepared = this.prepareChecked(artifact, t0, premetered)
    return compiled ? { ...prepared, result: { ...prepared.result, cached: false } } : prepared
  }

  /** The metering options and cache key of a core artifact under this runtime's limits. */
  private meterOptions(artifact: Artifact): { options: MeterOptions; key: string } {
    const fuel = this.fuelPerCheck
    const maxPages = Math.floor(artifact.meta.config.limits.memoryBytes / 65536)
    return { options: { maxMemoryPages: maxPages, fuelPerCheck: fuel, importMemory: true, resetFunction: true }, key: `${artifact.meta.digest}:m${maxPages}:f${fuel}:imported-memory:reset-fn` }
  }

  private prepareChecked(artifact: Artifact, t0: number, premetered?: { plain: MeteredModule; tracked: MeteredModule }): PreparedFunction {
    const { config, digest } = artifact.meta
    this.checkRoute(config)
    if (artifact.meta.kind !== 'core') {
      // Components and WASI command modules (runtime/component): the same InstancePool, limits, logs and errors.
      // With lanes this is the gateway thread: what may run here gets its instances warmed up off the request path.
      const warmUp = this.lanes !== undefined && inlineEligible(artifact.meta)
      const { host, cached } = createNonCoreHost(artifact, { moduleCache: this.cache, fuelPerCheck: this.fuelPerCheck, onLog: this.logFor(config.name, digest), warmUp })
      return { host, artifact, result: { name: config.name, digest, loadMs: performance.now() - t0, cached } }
    }
    const { options: meterOptions, key } = this.meterOptions(artifact)
    const fuel = meterOptions.fuelPerCheck!
    const maxPages = meterOptions.maxMemoryPages!
    let module = this.cache.peek(key)
    const cached = module !== undefined
    const meter = (dirtyChunks: boolean) => meterModule(artifact.wasm, { ...meterOptions, dirtyChunks })
    const metered = premetered?.plain ?? meter(false)
    const premeteredTracked = premetered?.tracked // trackedModule() needs it; the plain one is done with here
    if (!metered.memoryImage) throw new JaegisError('INVALID_WASM', 'module has passive data segments or non-constant data offsets, which Jaegis does not support')
    if (!module) module = this.cache.get(metered.bytes, key).module
    checkAbi(module)
    const host = createCoreHost({
      config,
      digest,
      module,
      mutableGlobals: metered.mutableGlobals,
      resetFunction: metered.resetFunction,
      memoryImage: metered.memoryImage,
      maxMemoryPages: maxPages,
      fuelPerCheck: fuel,
      onLog: this.logFor(config.name, digest),
      ...(this.options.tracking ? { tracking: this.options.tracking } : {}),
      trackedModule: () => {
        const tracked = premeteredTracked ?? meter(true)
        if (tracked.dirtyChunkShift === undefined) return undefined
        return { module: this.cache.get(tracked.bytes, `${key}:dirty-chunks`).module, dirtyChunkShift: tracked.dirtyChunkShift }
      },
    })
    return { host, artifact, result: { name: config.name, digest, loadMs: performance.now() - t0, cached } }
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
    this.options.replicas?.activated(prepared.artifact)
    if (this.lanes) {
      this.artifacts.set(config.name, prepared.artifact)
      this.inlinePolicy.forget(config.name)
      if (old) this.lanes.unload(config.name)
    }
    old?.close()
  }

  /** What a lane needs to serve `name`: the serving artifact, its compiled modules and its pool bounds. */
  private laneLoad(name: string): LaneLoad | undefined {
    const artifact = this.artifacts.get(name)
    const host = this.functions.get(name)
    if (!artifact || !host) return undefined
    // The artifact's own modules and, for components, its core modules (cached by their digests).
    const keys = [artifact.meta.digest, ...(artifact.meta.component?.coreModules ?? []).map((m) => m.digest)]
    return { artifact, modules: keys.flatMap((k) => this.cache.entriesWithPrefix(k)), pool: { minWarm: host.minWarm, maxWarm: host.maxWarm } }
  }

  /**
   * Runs the trial request (trial.ts) for a component or WASI artifact in a worker thread of its own
   * and says how it went; undefined for core artifacts, whose initialization ran at build time.
   * The function's log lines from the trial reach onLog prefixed "trial: ".
   */
  async trial(artifact: Artifact): Promise<TrialOutcome | undefined> {
    this.assertOpen()
    if (artifact.meta.kind === 'core') return undefined
    const log = this.logFor(artifact.meta.config.name, artifact.meta.digest)
    // The modules prepare() compiled go along (as to a lane), so the trial does not compile them again.
    const modules = (artifact.meta.component?.coreModules ?? []).flatMap((m) => this.cache.entriesWithPrefix(m.digest))
    return runTrial(artifact, { fuelPerCheck: this.fuelPerCheck, modules, onLog: (level, message) => log(level, `trial: ${message}`) })
  }

  /** Drops a prepared function that will not be activated. */
  discard(prepared: PreparedFunction): void {
    prepared.host.close()
  }

  /** A function's log sink: tags each line and hands it to options.onLog (or drops it). */
  private logFor(name: string, digest: string): (level: LogLevel, message: string) => void {
    const onLog = this.options.onLog
    if (!onLog) return () => {}
    return (level, message) => {
      const entry = { function: name, digest, level, message, timeMs: Date.now() }
      if (this.heldLogs) this.heldLogs.push(entry)
      else onLog(entry)
    }
  }

  /**
   * The signature policy, before any compiling. The wasm is hashed here, not taken from meta.digest:
   * an embedder may hand over an Artifact object nobody checked. Unsigned artifacts under a policy
   * that does not require signatures skip the hash (the cold-start path measures it).
   */
  private checkSignature(artifact: Artifact): void {
    const policy = this.options.signatures ?? {}
    if (signatureCheckNeeded(artifact.meta, policy)) checkArtifactSignature(artifact.meta, sha256Hex(artifact.wasm), policy)
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
    if (host) this.options.replicas?.unloaded(name)
    if (this.lanes) {
      this.artifacts.delete(name)
      this.inlinePolicy.forget(name)
      this.lanes.unload(name)
    }
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

  /** The serving host of `name`, after the checks every invocation gets (exists, body size). */
  private hostFor(name: string, req: FunctionRequest): FunctionHost {
    this.assertOpen()
    const host = this.functions.get(name)
    if (!host) throw new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`)
    const body = req.body
    const bodyBytes = typeof body === 'string' ? Buffer.byteLength(body) : (body?.byteLength ?? 0)
    if (bodyBytes > host.config.limits.bodyBytes) {
      throw new JaegisError('BODY_TOO_LARGE', `request body of ${bodyBytes} bytes is over the function's limit of ${host.config.limits.bodyBytes} bytes`)
    }
    return host
  }

  /**
   * Runs one invocation on this thread, whatever it costs, and returns its response; throws a
   * JaegisError on failure.
   */
  invokeSync(name: string, req: FunctionRequest = {}, options?: InvokeSyncOptions): FunctionResponse {
    return this.runHere(name, this.hostFor(name, req), req, options)
  }

  private runHere(name: string, host: FunctionHost, req: FunctionRequest, options?: InvokeSyncOptions): FunctionResponse {
    const cold = this.coldPending.size > 0 && this.coldPending.delete(name)
    const startKind = options?.start ?? (cold ? 'hostcold' : undefined)
    const t0 = performance.now()
    const onInvoke = this.options.onInvoke
    try {
      const { response, start } = host.invoke(req, startKind ? { ...options, start: startKind } : options)
      onInvoke?.({ function: name, digest: host.digest, start, startMs: performance.timeOrigin + t0, durationMs: performance.now() - t0, status: response.status })
      return response
    } catch (err) {
      const code = (err as JaegisError).code
      if (code === 'SLICE_EXPIRED') {
        if (cold) this.coldPending.add(name) // the re-run is the cold start
      } else onInvoke?.({ function: name, digest: host.digest, start: startKind ?? 'warm', startMs: performance.timeOrigin + t0, durationMs: performance.now() - t0, errorCode: code })
      throw err
    }
  }

  /**
   * Runs one invocation where it belongs. Without lanes: on this thread (as invokeSync). With
   * lanes: a function proven short and safe to re-run runs here within a time slice and returns its
   * response directly; one that outlives the slice is stopped, re-run from the snapshot in a lane
   * with the rest of its deadline, and its function runs in lanes until it proves short again
   * (its log lines from the stopped attempt are dropped). Everything else runs in a lane and
   * comes back as a promise. The deadline counts from this call, waiting for a lane included.
   */
  dispatch(name: string, req: FunctionRequest = {}): FunctionResponse | Promise<FunctionResponse> {
    const host = this.hostFor(name, req)
    const lanes = this.lanes
    if (!lanes) return this.runHere(name, host, req)
    const t0 = performance.now()
    const deadline = t0 + host.config.limits.timeoutMs
    const config = host.config
    const meta = this.artifacts.get(name)?.meta
    // A component runs inline only on an instance it can take without instantiating one (a new one is made
    // off the request path by the pool's fill, or the request goes to a lane): 3-30 ms for a JavaScript engine.
    const eligible = meta !== undefined && inlineEligible(meta, host.lostInstances) && (meta.kind === 'core' || host.available > 0)
    const policy = this.inlinePolicy
    const proven = eligible && policy.inline(name, host.digest)
    // An unproven function is tried here only when no lane is free, and only while stopped attempts have
    // not used up their share of this thread (LANE_POLICY.unprovenShare): a burst of new long functions
    // costs about one slice.
    if (proven || (eligible && !policy.long(name, host.digest) && inlineBeforeProof(meta) && !lanes.hasFreeLane() && policy.mayTry(t0))) {
      const onLog = this.options.onLog
      this.heldLogs = onLog ? [] : undefined
      let response: FunctionResponse
      try {
        response = this.runHere(name, host, req, { deadline, sliceDeadline: t0 + LANE_POLICY.sliceMs, ...policy.attemptChecks(name, host.digest, this.fuelPerCheck) })
      } catch (err) {
        this.heldLogs = undefined
        if (!isJaegisError(err) || err.code !== 'SLICE_EXPIRED') throw err
        this.sliceStops++
        if (!proven) policy.stopped(t0, performance.now())
        policy.markLong(name, host.digest)
        return lanes.submit({ name, config, digest: host.digest, req, deadline, ...(this.coldPending.delete(name) ? { start: 'hostcold' as const } : {}) })
      }
      const held = this.heldLogs
      this.heldLogs = undefined
      if (held) for (const entry of held) onLog!(entry)
      return response
    }
    return lanes.submit({ name, config, digest: host.digest, req, deadline, ...(this.coldPending.delete(name) ? { start: 'hostcold' as const } : {}) })
  }

  /** Promise form of dispatch, for callers that treat every runtime as asynchronous. */
  async invoke(name: string, req: FunctionRequest = {}): Promise<FunctionResponse> {
    return this.dispatch(name, req)
  }

  /** Sets how many instances of `name` are kept ready (the scheduler drives this). */
  setPool(name: string, pool: { minWarm?: number; maxWarm?: number }): void {
    const host = this.functions.get(name)
    if (!host) throw new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`)
    host.setPool(pool.minWarm ?? host.minWarm, pool.maxWarm ?? host.maxWarm)
    this.lanes?.setPool(name, host.minWarm, host.maxWarm)
    this.options.replicas?.poolSet(name, host.minWarm, host.maxWarm)
  }

  /** Resolves once every replica (RuntimeOptions.replicas) has applied every change made so far. */
  async synced(): Promise<void> {
    await this.options.replicas?.synced()
  }

  /** Per-function counters and the module cache's size. */
  stats(): { functions: Record<string, FunctionStats & { digest: string }>; moduleCache: ReturnType<LruModuleCache['stats']> } {
    const functions: Record<string, FunctionStats & { digest: string }> = {}
    const replicas = this.options.replicas
    for (const [name, h] of this.functions) {
      const own = { ...structuredClone(h.stats), digest: h.digest }
      // With replicas this runtime is a reference copy: only their pools serve.
      if (replicas) own.pool.ready = own.pool.dirty = 0
      functions[name] = own
    }
    // Lanes and replicas report their own pools and counters for the versions they hold.
    for (const lane of [...(this.lanes?.laneStats() ?? []), ...(this.options.replicas?.stats() ?? [])]) {
      for (const [name, s] of Object.entries(lane)) {
        const f = functions[name]
        if (f && f.digest === s.digest) addStats(f, s)
      }
    }
    return { functions, moduleCache: this.cache.stats() }
  }

  /** Unloads everything. Later calls throw CLOSED. */
  close(): void {
    for (const h of this.functions.values()) h.close()
    this.functions.clear()
    this.artifacts.clear()
    this.lanes?.close()
    this.closed = true
  }

  private assertOpen(): void {
    if (this.closed) throw new JaegisError('CLOSED', 'runtime is closed')
  }
}

/** Adds a lane's counters for a function into `into`. */
function addStats(into: FunctionStats, s: FunctionStats): void {
  into.invocations += s.invocations
  for (const [code, n] of Object.entries(s.errors)) into.errors[code] = (into.errors[code] ?? 0) + n
  for (const k of Object.keys(into.starts) as StartKind[]) into.starts[k] += s.starts[k] ?? 0
  into.pool.ready += s.pool.ready
  into.pool.dirty += s.pool.dirty
}

/** Creates an embeddable runtime. */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  return new Runtime(options)
}
