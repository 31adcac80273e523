// Runs a WASI preview-1 command module CGI-style: one fresh instance per request (a command's
// _start runs once), pre-instantiated in the pool, metered for deadlines and capped in memory, with
// the manifest's args and a scratch /tmp that is emptied when the request ends.
import type { FunctionRequest, FunctionResponse } from '../abi/index.js'
import type { Artifact, FunctionConfig } from '../artifact.js'
import { JaegisError } from '../errors.js'
import { METER_IMPORT } from '../wasm/meter.js'
import { deadlineIn, meterSignal, type Deadline } from '../instance.js'
import type { AfterRun, InstanceStrategy } from '../pool/strategy.js'
import { bodyBytes, cgiEnvironment, failedCommandResponse, parseCgiOutput } from '../component/cgi.js'
import type { FileMapping } from '../component/artifact.js'
import { SCRATCH_GUEST_PATH, ScratchDir } from './scratch.js'
import { closeSync, constants as FS, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { refusedGrowLogger } from '../instance.js'
import type { HostOptions } from '../component/component-host.js'
import { LineSink, withBoundedWaits } from '../component/wasi/io.js'
import { ExitSignal } from '../component/wasi/preview2.js'
import { PREVIEW1_MODULE, preview1Imports, type Preview1Context } from './preview1.js'

interface CommandInstance {
  deadline: Deadline
  ctx: Preview1Context
  out: { chunks: Uint8Array[]; size: number }
  stderr: LineSink
  start: () => void
  scratch: ScratchDir
  closeFiles: () => void
}


/** Largest stdout a command may write (the response body); further writes fail with EIO. */
export const STDOUT_LIMIT_BYTES = 64 * 1024 * 1024

/** How the pool makes and runs instances of a command module: a new one per request (a command's _start runs once). */
export class CommandStrategy implements InstanceStrategy<CommandInstance> {
  readonly afterRun: AfterRun = 'discard'
  readonly noun = 'component'
  private readonly config: FunctionConfig
  private readonly module: WebAssembly.Module
  private readonly fuelPerCheck: number
  private readonly onLog: HostOptions['onLog']
  private readonly files: FileMapping[]
  readonly cached: boolean

  constructor(artifact: Artifact, options: HostOptions) {
    this.config = artifact.meta.config
    const part = artifact.meta.component!.coreModules[0]!
    const r = options.moduleCache.get(artifact.files![part.file]!, part.digest)
    this.module = r.module
    this.cached = r.cached
    this.fuelPerCheck = options.fuelPerCheck
    this.onLog = options.onLog
    this.files = artifact.meta.component!.files
  }

  create(): CommandInstance {
    const deadline = deadlineIn(this.config.limits.timeoutMs)
    const out = { chunks: [] as Uint8Array[], size: 0 }
    const stderr = new LineSink((l) => this.onLog('error', l))
    const scratch = new ScratchDir(this.config.limits.memoryBytes)
    const ctx: Preview1Context = {
      args: [this.config.name, ...(this.config.args ?? [])],
      env: {},
      stdin: new Uint8Array(0),
      stdout: (bytes) => {
        if (out.size + bytes.length > STDOUT_LIMIT_BYTES) return false
        out.chunks.push(bytes)
        out.size += bytes.length
        return true
      },
      stderr: (bytes) => stderr.write(bytes),
      files: this.files,
      scratch,
      log: this.onLog,
    }
    const p1 = preview1Imports(ctx)
    let memory: WebAssembly.Memory | undefined
    const signal = meterSignal(deadline, this.fuelPerCheck, this.config.limits.memoryBytes, () => memory?.buffer.byteLength ?? 0, refusedGrowLogger(this.config, this.onLog))
    const instance = new WebAssembly.Instance(this.module, { [PREVIEW1_MODULE]: p1.imports, [METER_IMPORT.module]: { [METER_IMPORT.name]: signal } } as WebAssembly.Imports)
    memory = instance.exports.memory as WebAssembly.Memory
    if (!(memory instanceof WebAssembly.Memory)) throw new JaegisError('INVALID_ARTIFACT', 'invalid artifact: the command module does not export its memory')
    p1.bind(memory)
    const start = instance.exports._start as (() => void) | undefined
    if (typeof start !== 'function') throw new JaegisError('INVALID_ARTIFACT', 'invalid artifact: the command module does not export _start')
    return { deadline, ctx, out, stderr, start, scratch, closeFiles: p1.closeAll }
  }

  /** Never asked (afterRun is `discard`). */
  reset(): boolean {
    return false
  }

  /** Nothing to keep (the module owns its memory); host files it left open are closed, its /tmp removed. */
  discard(inst: CommandInstance): void {
    inst.closeFiles()
    inst.scratch.clear()
  }

  run(inst: CommandInstance, req: FunctionRequest): FunctionResponse {
    return withBoundedWaits(inst.deadline, () => this.runStart(inst, req))
  }

  private runStart(inst: CommandInstance, req: FunctionRequest): FunctionResponse {
    inst.ctx.env = cgiEnvironment(req, this.config.name, this.config.env)
    inst.ctx.stdin = bodyBytes(req.body)
    let code = 0
    let file: Uint8Array | undefined
    try {
      try {
        inst.start()
      } catch (err) {
        if (!(err instanceof ExitSignal)) throw err
        code = err.code
      }
      if (code === 0 && this.config.responseFile) file = readResponseFile(inst.scratch, this.config.responseFile)
    } finally {
      inst.stderr.flush()
      // The request is over: its files are closed and its /tmp emptied now, not when the pool gets to it.
      inst.closeFiles()
      inst.scratch.clear()
    }
    const stdout = inst.out.chunks.length === 1 ? inst.out.chunks[0]! : Buffer.concat(inst.out.chunks)
    if (code !== 0) return failedCommandResponse(code, stdout, this.onLog)
    const res = parseCgiOutput(stdout)
    // With a response file, stdout gives at most the status and headers (its header block).
    return file ? { ...res, body: file } : res
  }
}

/** The response file a command wrote to its /tmp (config.responseFile); BAD_RESPONSE when it wrote none. */
function readResponseFile(scratch: ScratchDir, guestPath: string): Uint8Array {
  const missing = () => new JaegisError('BAD_RESPONSE', `function returned a malformed response: the program exited 0 without writing its response file ${guestPath}`)
  if (!scratch.used) throw missing()
  const host = join(scratch.host, guestPath.slice(SCRATCH_GUEST_PATH.length + 1))
  try {
    // The guest cannot make symlinks (preview1.ts), and O_NOFOLLOW refuses one all the same.
    const fd = openSync(host, FS.O_RDONLY | FS.O_NOFOLLOW)
    try {
      return new Uint8Array(readFileSync(fd))
    } finally {
      closeSync(fd)
    }
  } catch {
    throw missing()
  }
}
