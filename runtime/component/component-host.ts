// Runs a jco-transpiled component (instantiation mode): the host compiles the prepared core modules
// once (through the module cache), supplies WASI 0.2 imports per instance, and gives each metered core
// module the deadline/memory hook. http components get a request per call; command components run CGI-style.
// Fresh-state http components are reset between requests (reset.ts), not rebuilt. The pool around the
// instances is InstancePool's (runtime/pool).
import type { FunctionRequest, FunctionResponse } from '../abi/index.js'
import type { Artifact, FunctionConfig } from '../artifact.js'
import { JaegisError, TrapError } from '../errors.js'
import { performance } from 'node:perf_hooks'
import { deadlineIn, meterSignal, refusedGrowLogger, type Deadline, type LogLevel } from '../instance.js'
import { LANE_POLICY } from '../lanes/policy.js'
import type { LruModuleCache } from '../module-cache.js'
import type { SpareMemories } from '../pool/spare-memories.js'
import type { AfterRun, InstanceStrategy } from '../pool/strategy.js'
import { MemoryImage } from '../memory-image.js'
import { MEMORY_IMPORT, METER_IMPORT } from '../wasm/meter.js'
import type { ComponentMeta } from './artifact.js'
import { bodyBytes, cgiEnvironment, failedCommandResponse, headerPairs, parseCgiOutput } from './cgi.js'
import { addResetHooks, rewriteGlue } from './glue.js'
import { Fields, IncomingRequest, ResponseOutparam } from './wasi/http.js'
import { BufferSink, LineSink, withBoundedWaits } from './wasi/io.js'
import { ExitSignal, wasiImports, type WasiContext } from './wasi/preview2.js'
import { ComponentSnapshot, exportedGlobals, resetBlocker } from './reset.js'
import { InstanceMarks, planTracking, type TrackingPlan } from './dirty.js'

type InstantiateFn = (getCoreModule: (name: string) => WebAssembly.Module, imports: unknown, instantiateCore: (m: WebAssembly.Module, i?: WebAssembly.Imports) => WebAssembly.Instance) => Record<string, unknown>

export interface HostOptions {
  moduleCache: LruModuleCache
  fuelPerCheck: number
  onLog(level: LogLevel, message: string): void
  /**
   * Every new instance of an http component answers WARM_UP_REQUEST (log lines dropped, deadline
   * LANE_POLICY.warmUpMs) and is then reset to its post-instantiation state before it serves, so that its
   * first real request does not pay the host's one-time costs; instances that cannot be reset are not
   * warmed. For the gateway thread's pools of inline-eligible components (runtime.ts). @default false
   */
  warmUp?: boolean
}

/** What a new instance answers before it serves when HostOptions.warmUp is on (nothing of it is kept). */
export const WARM_UP_REQUEST: FunctionRequest = { method: 'GET', path: '/', query: '', headers: { host: 'localhost', 'user-agent': 'jaegis-warm-up' } }

interface ComponentInstance {
  /** Memories the host supplied (modules with a memory image), recycled when the instance goes. */
  memories: Array<{ file: string; memory: WebAssembly.Memory }>
  deadline: Deadline
  ctx: WasiContext
  stdout: LineSink
  stderr: LineSink
  exports: Record<string, unknown>
  /** Mutable globals of each of its core instances, in instantiation order (kept only when instances are reset). */
  globals: WebAssembly.Global[][]
  /** The glue's reset hooks for this instance (when instances are reset). */
  glue?: GlueHooks
  /** glue.state() right after instantiation. */
  restingState?: string
  /** What the instance wrote since its last reset, when the artifact's instances are tracked (dirty.ts). */
  marks?: InstanceMarks
}

/** What the glue's injected reset hooks hand over when it instantiates (glue.ts, addResetHooks). */
interface GlueHooks {
  /** Empties the resource tables: the host-side state right after instantiation. */
  reset(): void
  /** The task machinery's state, as a string: the same after a request that left nothing behind. */
  state(): string
}

/** Evaluated glue: its `instantiate`, and where it leaves the reset hooks of the instance it just made. */
export interface LoadedGlue {
  instantiate: InstantiateFn
  /** `current` is set by every call of `instantiate` (synchronously: read it right after). */
  hooks: { current: GlueHooks | undefined }
  /** Resource tables the reset hooks empty; -1: the glue has no reset hooks (a shape they do not know). */
  resetTables: number
}

const glueCache = new Map<string, LoadedGlue>()

/** Forgets evaluated glue (benchmarks measure host-cold starts with it). */
export function clearGlueCache(): void {
  glueCache.clear()
}

/** Glue text already rewritten elsewhere (prepareAsync does it off the gateway thread), by glue digest. */
const rewrittenGlue = new Map<string, { body: string; tables: number }>()

/** Keeps a rewritten glue text (glueBody's result) for the next loadGlue of `digest`. */
export function putRewrittenGlue(digest: string, rewritten: { body: string; tables: number }): void {
  if (rewrittenGlue.size > 16) rewrittenGlue.delete(rewrittenGlue.keys().next().value!)
  rewrittenGlue.set(digest, rewritten)
}

/** Turns jco's ES module glue into its `instantiate` function (cached by digest; the text is trusted build output). */
export function loadGlue(source: string, digest: string): LoadedGlue {
  const hit = glueCache.get(digest)
  if (hit) return hit
  const ready = rewrittenGlue.get(digest)
  rewrittenGlue.delete(digest)
  const { body, tables } = ready ?? glueBody(source)
  const promising = typeof (WebAssembly as unknown as { promising?: unknown }).promising === 'function' ? (WebAssembly as unknown as { promising: (f: unknown) => unknown }).promising : (f: unknown) => f
  const hooks: LoadedGlue['hooks'] = { current: undefined }
  const fn = new Function('__jaegisPromising', '__jaegisHooks', `${body}\nreturn instantiate;`)(promising, hooks) as InstantiateFn
  const loaded = { instantiate: fn, hooks, resetTables: tables }
  if (glueCache.size > 64) glueCache.delete(glueCache.keys().next().value!)
  glueCache.set(digest, loaded)
  return loaded
}

/** The text loadGlue evaluates: pure string work (tens of ms for a JavaScript component's glue), safe on any thread. */
export function glueBody(source: string): { body: string; tables: number } {
  // Synchronous imports skip jco's async task bookkeeping, and the glue gets hooks to reset its tables (glue.ts).
  const withHooks = addResetHooks(rewriteGlue(source).source)
  const body = withHooks.source
    .replace(/^export function instantiate\(/m, 'function instantiate(')
    .replace(/^export const _util\b/m, 'const _util')
    // jco's debug hook reads process.env on every call across the boundary (a getenv each time, a third of
    // a request's cost): decide once, at load.
    .replaceAll('globalThis?.process?.env?.JCO_DEBUG', process.env.JCO_DEBUG ? 'true' : 'false')
    // Without JSPI (Node 20) jco's `try { WebAssembly.promising(f) } catch { f }` throws three times per
    // instantiation, and each Error makes V8 recompile the 1 MB generator for source positions
    // (~15 ms apiece): answer the catch branch's value without throwing.
    .replaceAll('WebAssembly.promising(', '__jaegisPromising(')
  if (/^\s*(export|import)\s/m.test(body)) throw new JaegisError('INVALID_ARTIFACT', 'invalid artifact: component glue is not jco instantiation-mode output')
  return { body, tables: withHooks.tables }
}

/** How the pool makes, runs and resets instances of a component: reset to the post-instantiation state after each request unless the manifest opts into reuse. */
export class ComponentStrategy implements InstanceStrategy<ComponentInstance> {
  readonly afterRun: AfterRun
  readonly noun = 'component'
  private readonly config: FunctionConfig
  private readonly meta: ComponentMeta
  private readonly glue: LoadedGlue
  private readonly modules = new Map<string, WebAssembly.Module>()
  private readonly metered = new Set<WebAssembly.Module>()
  /** Memory images by core module; memories of dropped instances come back through the pool's SpareMemories, keyed by file. */
  private readonly images = new Map<WebAssembly.Module, { file: string; image: Uint8Array; pages: number; maximumPages: number }>()
  private readonly fuelPerCheck: number
  private readonly onLog: HostOptions['onLog']
  /** True when every compiled part came from the cache. */
  readonly cached: boolean
  /** Memory images as MemoryImage (their non-zero runs), by part file: made only when instances are reset. */
  private readonly resetImages = new Map<string, MemoryImage>()
  /** The first instance's state right after instantiation, which every reset restores. */
  private snapshot: ComponentSnapshot | undefined
  /** Said once: a call left jco's task state behind, so instances are replaced (a guest doing async work, say). */
  private warnedUnrested = false
  /** Why instances are replaced instead of reset (undefined when they are reset, or kept). */
  readonly resetBlocker: string | undefined
  /**
   * How resets find what a request wrote (dirty.ts), for instances that are reset; a string says why a
   * reset restores the whole memory instead.
   */
  readonly tracking: TrackingPlan | string | undefined
  /**
   * New instances answer WARM_UP_REQUEST and are reset before they serve (HostOptions.warmUp, when they can
   * be reset). Off for good after a warm-up failed (a GET / that traps, loops or leaves the instance
   * unresettable would cost the gateway thread its deadline and a second instance every time).
   */
  private warmUp: boolean
  /** True while a warm-up runs: its log lines are dropped. */
  private quiet = false

  constructor(artifact: Artifact, options: HostOptions) {
    this.config = artifact.meta.config
    this.meta = artifact.meta.component!
    this.fuelPerCheck = options.fuelPerCheck
    this.onLog = options.onLog
    const files = artifact.files ?? {}
    let cached = true
    const parts: Array<Parameters<typeof resetBlocker>[0][number] & { digest: string; imageBytes: number }> = []
    for (const part of this.meta.coreModules) {
      const r = options.moduleCache.get(files[part.file]!, part.digest)
      cached &&= r.cached
      this.modules.set(part.file, r.module)
      if (part.metered) this.metered.add(r.module)
      if (part.memoryImage) {
        const image = files[part.memoryImage.file]!
        // The maximum was fixed when the module was metered (build or deploy time), not by today's config.
        this.images.set(r.module, { file: part.file, image, pages: image.byteLength / 65536, maximumPages: part.memoryImage.maximumPages })
      }
      parts.push({ file: part.file, bytes: files[part.file]!, digest: part.digest, module: r.module, hasImage: part.memoryImage !== undefined, imageBytes: part.memoryImage ? files[part.memoryImage.file]!.byteLength : 0, definesMemory: part.metered })
    }
    this.cached = cached
    const glueSource = new TextDecoder().decode(files[this.meta.glue!.file]!)
    this.glue = loadGlue(glueSource, this.meta.glue!.digest)
    // `reuse` keeps an http instance as it is. A command (CGI) always starts from the post-instantiation
    // state, reuse or not: running its `run` again on a used instance would run main() over the last run's
    // heap and libc state. Both are reset when they can be, and replaced otherwise.
    const keep = this.meta.world !== 'cgi' && this.config.reuse
    const blocker = this.glue.resetTables < 0 ? 'the glue is not a shape the reset knows' : resetBlocker(parts)
    if (!keep) this.resetBlocker = blocker
    this.afterRun = keep ? 'keep' : blocker === undefined ? 'reset' : 'discard'
    // Only instances reset after every request pay for the marks (a kept instance is never restored).
    this.tracking = this.afterRun === 'reset' ? planTracking(parts, glueSource, options.moduleCache) : undefined
    if (typeof this.tracking === 'string') this.onLog('debug', `component resets restore the whole memory: ${this.tracking}`)
    this.warmUp = options.warmUp === true && this.meta.world === 'http' && blocker === undefined
    if (this.afterRun === 'reset' || this.warmUp) for (const img of this.images.values()) this.resetImages.set(img.file, new MemoryImage(img.image))
  }

  /** A new instance, warmed up when `warmUp` is on (one whose warm-up failed is replaced by an unwarmed one). */
  create(spares: SpareMemories): ComponentInstance {
    const inst = this.instantiate(spares)
    if (!this.warmUp || this.warm(inst)) return inst
    this.warmUp = false
    this.onLog('debug', 'component instances are not warmed up: the warm-up request (GET /) failed or left the instance unresettable')
    this.discard(inst, spares)
    return this.instantiate(spares)
  }

  /** Runs WARM_UP_REQUEST on a new instance and resets it; false when either failed (drop the instance). */
  private warm(inst: ComponentInstance): boolean {
    this.quiet = true
    try {
      inst.deadline.deadline = performance.now() + LANE_POLICY.warmUpMs
      inst.deadline.sliceDeadline = undefined
      this.run(inst, WARM_UP_REQUEST)
      return this.reset(inst)
    } catch {
      return false
    } finally {
      this.quiet = false
    }
  }

  /** onLog, except during a warm-up. */
  private log(level: LogLevel, message: string): void {
    if (!this.quiet) this.onLog(level, message)
  }

  private instantiate(spares: SpareMemories): ComponentInstance {
    const deadline = deadlineIn(this.config.limits.timeoutMs)
    const stdout = new LineSink((l) => this.log('info', l))
    const stderr = new LineSink((l) => this.log('error', l))
    let mainMemory: WebAssembly.Memory | undefined
    const signal = meterSignal(deadline, this.fuelPerCheck, this.config.limits.memoryBytes, () => mainMemory?.buffer.byteLength ?? 0, refusedGrowLogger(this.config, (level, m) => this.log(level, m)))
    const memories: ComponentInstance['memories'] = []
    const resettable = this.afterRun === 'reset' || this.warmUp
    const globals: WebAssembly.Global[][] = []
    const plan = typeof this.tracking === 'object' ? this.tracking : undefined
    const marks = plan ? new InstanceMarks(plan) : undefined
    const instantiateCore = (module: WebAssembly.Module, importObject: WebAssembly.Imports = {}) => {
      // Tracked: the copy with marks runs, the host functions it imports mark what they write, and the
      // glue gets realloc exports that mark what they hand out (dirty.ts).
      if (marks) importObject = marks.wrapImports(importObject)!
      const metered = this.metered.has(module)
      const meter: Record<string, WebAssembly.ImportValue> = { [METER_IMPORT.name]: signal }
      const img = this.images.get(module)
      if (img) {
        const memory = spares.take(img.file) ?? new WebAssembly.Memory({ initial: img.pages, maximum: img.maximumPages })
        new Uint8Array(memory.buffer).set(img.image)
        memories.push({ file: img.file, memory })
        meter[MEMORY_IMPORT] = memory
      }
      const instance = new WebAssembly.Instance(plan?.tracked.get(module) ?? module, metered ? { ...importObject, [METER_IMPORT.module]: meter } : importObject)
      if (metered && instance.exports.memory instanceof WebAssembly.Memory) mainMemory ??= instance.exports.memory
      if (resettable) globals.push(exportedGlobals(instance))
      return marks ? marks.adopt(instance) : instance
    }
    const ctx: WasiContext = {
      env: this.config.env,
      args: [this.config.name, ...(this.config.args ?? [])],
      allowedOutboundHosts: this.meta.allowedOutboundHosts,
      files: this.meta.files,
      get deadline() {
        return deadline.deadline
      },
      log: (level, message) => this.log(level, message),
      stdin: new Uint8Array(0),
      stdout,
      stderr,
    }
    const getCoreModule = (name: string) => {
      const m = this.modules.get(name)
      if (!m) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: the glue asks for core module ${name}, which the artifact lacks`)
      return m
    }
    const inst: ComponentInstance = { memories, deadline, ctx, stdout, stderr, exports: {}, globals, ...(marks ? { marks } : {}) }
    const hooks = this.glue.hooks
    try {
      inst.exports = this.glue.instantiate(getCoreModule, wasiImports(ctx), instantiateCore)
      if (resettable) inst.glue = hooks.current
    } catch (err) {
      this.discard(inst, spares)
      throw err
    } finally {
      // The glue is shared by every instance of the artifact: its last hooks would keep the last instance alive.
      hooks.current = undefined
    }
    // What instantiation wrote is the post-instantiation state every reset goes back to.
    marks?.take()
    if (resettable) {
      inst.restingState = inst.glue?.state()
      this.snapshot ??= ComponentSnapshot.take(globals, memories, this.resetImages)
    }
    return inst
  }

  /** Keeps the memories of a dropped instance (when they did not grow) for the next new instance. */
  discard(inst: ComponentInstance, spares: SpareMemories): void {
    for (const { file, memory } of inst.memories) spares.keep(file, memory, this.imageBytes(file))
  }

  private imageBytes(file: string): number {
    for (const img of this.images.values()) if (img.file === file) return img.image.byteLength
    return -1
  }

  /**
   * Puts a used instance back to its post-instantiation state: memories and mutable globals from the
   * snapshot, jco's resource tables emptied (which also lets go of the host objects they held). False when
   * it cannot be: a memory grew (it cannot shrink), or the call left a task or a borrow behind in the
   * glue; the pool then drops the instance and makes a new one.
   */
  reset(inst: ComponentInstance): boolean {
    const glue = inst.glue
    if (!glue || !this.snapshot) return false
    const state = glue.state()
    if (state !== inst.restingState) {
      if (!this.warnedUnrested && !this.quiet) this.onLog('warn', `component instance not reset (a new one replaces it): the call left jco's task state at ${state}, not ${inst.restingState}`)
      if (!this.quiet) this.warnedUnrested = true
      return false
    }
    const dirty = inst.marks && typeof this.tracking === 'object' ? { file: this.tracking.memoryFile, mask: inst.marks.take(), shift: this.tracking.shift } : undefined
    if (!this.snapshot.restore(inst.globals, inst.memories, dirty)) {
      this.log('debug', 'component instance not reset (a new one replaces it): its memory grew')
      return false
    }
    glue.reset()
    return true
  }

  run(inst: ComponentInstance, req: FunctionRequest): FunctionResponse {
    return withBoundedWaits(inst.deadline, () => this.runGuest(inst, req))
  }

  private runGuest(inst: ComponentInstance, req: FunctionRequest): FunctionResponse {
    try {
      return this.meta.world === 'cgi' ? this.runCommand(inst, req) : this.runHttp(inst, req)
    } catch (err) {
      if (err instanceof ExitSignal) throw new TrapError(`component exited with status ${err.code} before answering`)
      // jco rethrows traps with V8's text, which already says "wasm trap"; keep it as it is.
      if (err instanceof WebAssembly.RuntimeError && /^wasm trap: /.test(err.message)) throw new TrapError(err.message, err)
      throw err
    } finally {
      inst.stdout.flush()
      inst.stderr.flush()
    }
  }

  private runHttp(inst: ComponentInstance, req: FunctionRequest): FunctionResponse {
    const handler = inst.exports[this.meta.export!] as { handle(r: IncomingRequest, o: ResponseOutparam): void } | undefined
    if (!handler || typeof handler.handle !== 'function') throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: component does not export ${this.meta.export}`)
    const pairs = headerPairs(req)
    const authority = pairs.find(([k]) => k === 'host')?.[1] ?? 'localhost'
    const path = req.path ?? '/'
    const request = new IncomingRequest(req.method ?? 'GET', req.query ? `${path}?${req.query}` : path, authority, Fields.fromPairs(pairs, true), bodyBytes(req.body))
    const out = new ResponseOutparam()
    handler.handle(request, out)
    const result = out.result
    if (!result) throw new JaegisError('BAD_RESPONSE', 'function returned a malformed response: the component returned without setting a response')
    if (result.tag === 'err') throw new JaegisError('BAD_RESPONSE', `function returned a malformed response: the component answered with error ${JSON.stringify(result.val)}`)
    const res = result.val
    return { status: res.status, headers: res.fields.pairs(), body: res.outgoingBody?.sink.take() ?? new Uint8Array(0) }
  }

  private runCommand(inst: ComponentInstance, req: FunctionRequest): FunctionResponse {
    const run = (inst.exports[this.meta.export ?? 'run'] ?? inst.exports.run) as { run(): void } | undefined
    if (!run || typeof run.run !== 'function') throw new JaegisError('INVALID_ARTIFACT', 'invalid artifact: command component does not export wasi:cli/run')
    const stdout = new BufferSink()
    inst.ctx.env = cgiEnvironment(req, this.config.name, this.config.env)
    inst.ctx.stdin = bodyBytes(req.body)
    inst.ctx.stdout = stdout
    let code = 0
    try {
      run.run()
    } catch (err) {
      if (!(err instanceof ExitSignal)) throw err
      code = err.code
    }
    if (code !== 0) return failedCommandResponse(code, stdout.take(), this.onLog)
    return parseCgiOutput(stdout.take())
  }
}
