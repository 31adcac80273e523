// The trial request a new component or WASI program answers during its deploy's warm-up, before it
// takes traffic: GET / with no body, run in a worker thread of its own (the calling thread keeps
// serving) on a copy of the artifact stripped of its capabilities: no outbound hosts, every mapped
// folder read-only (the scratch /tmp is private to the request and emptied after it).
import { sharedSpawner } from './offload/off-thread.js'
import { builtScript } from './built-script.js'
import type { FunctionRequest } from './abi/index.js'
import type { Artifact } from './artifact.js'
import type { ErrorCode } from './errors.js'
import type { LogLevel } from './instance.js'
import { LIMITS } from '@jaegis/artifact'

/** What the trial sends: documented in docs/functions.md ("The trial request"). */
export const TRIAL_REQUEST: FunctionRequest = { method: 'GET', path: '/', query: '', headers: { host: 'localhost', 'user-agent': 'jaegis-deploy-trial' } }

/** How the trial went: the response status, or the error with, for MEMORY_LIMIT, the size asked for. */
export type TrialOutcome =
  | { ok: true; status: number; ms: number }
  | { ok: false; code: ErrorCode; message: string; wantedBytes?: number; ms: number }

/** The artifact as the trial runs it: no outbound HTTP, no writable folder. */
export function trialArtifact(artifact: Artifact): Artifact {
  const c = artifact.meta.component
  if (!c) return artifact
  return { ...artifact, meta: { ...artifact.meta, component: { ...c, allowedOutboundHosts: [], files: c.files.map(({ guest, host }) => ({ guest, host })) } } }
}

/** Compiled modules by cache key (LruModuleCache.entriesWithPrefix), handed to the trial's own cache. */
export type TrialModules = Array<[key: string, module: WebAssembly.Module, sizeBytes: number]>

/** Message from the trial worker. */
export type TrialMessage = { t: 'log'; level: LogLevel; message: string } | { t: 'done'; outcome: TrialOutcome }

/**
 * Runs the trial request for a component or WASI artifact in a new worker thread. Log lines the
 * function writes go to `onLog`. The function's own deadline stops it; the worker is ended if it
 * has not answered a second after that.
 */
export function runTrial(artifact: Artifact, options: { fuelPerCheck: number; modules?: TrialModules; onLog?: (level: LogLevel, message: string) => void }): Promise<TrialOutcome> {
  const script = builtScript('trial-worker', import.meta.url, './dist')
  const t0 = performance.now()
  return new Promise((done) => {
    let settled = false
    const finish = (outcome: TrialOutcome) => {
      if (settled) return
      settled = true
      clearTimeout(guard)
      worker.terminate()
      done(outcome)
    }
    // Started by the spawner thread: not even `new Worker` (tens of ms for an isolate) runs on this one.
    const worker = sharedSpawner().spawn(
      script,
      { artifact: trialArtifact(artifact), fuelPerCheck: options.fuelPerCheck, modules: options.modules ?? [] },
      (m) => {
        const msg = m as TrialMessage
        if (msg.t === 'log') options.onLog?.(msg.level, msg.message)
        else finish(msg.outcome)
      },
      (err) => finish({ ok: false, code: 'INTERNAL', message: err ? `the trial worker failed: ${err.message}` : 'the trial worker exited without an answer', ms: performance.now() - t0 }),
    )
    // The guard holds the process open while the trial runs (the spawner's threads do not).
    const guard = setTimeout(() => finish({ ok: false, code: 'TIMEOUT', message: 'the trial request did not finish', ms: performance.now() - t0 }), artifact.meta.config.limits.timeoutMs + 10_000)
  })
}

const MIB = 1024 * 1024

/**
 * The memory limit to suggest after a trial hit it, in MiB: the next power of two at or above the
 * size the refused grow asked for (50.38 MiB -> 64), leaving room for the growth that follows;
 * undefined when even the largest limit is too small.
 */
export function suggestedMemoryMib(wantedBytes: number): number | undefined {
  const need = Math.ceil(wantedBytes / MIB)
  const pow2 = 2 ** Math.ceil(Math.log2(Math.max(need, 1)))
  if (need > LIMITS.memoryMib.max) return undefined
  return Math.min(pow2, LIMITS.memoryMib.max)
}

/**
 * Why a trial outcome means the version cannot serve, with the fix; undefined when it may deploy.
 * Refused: the memory limit (no request can get past it) and failures to make an instance at all.
 * A trap, a timeout or a malformed answer to GET / may be that request's own business (a program
 * that wants a body): the deploy goes on, and reports the outcome.
 */
export function trialRefusal(outcome: TrialOutcome, name: string): string | undefined {
  if (outcome.ok) return undefined
  const failed = `"${name}" cannot answer a single request: the trial request (GET /) failed with ${outcome.code}: ${outcome.message}`
  if (outcome.code === 'MEMORY_LIMIT') {
    const mib = outcome.wantedBytes === undefined ? undefined : suggestedMemoryMib(outcome.wantedBytes)
    if (mib === undefined) return `${failed}; that is more than the largest memory limit (${LIMITS.memoryMib.max} MiB)`
    return `${failed}; raise memory_mib to at least ${mib} ([limits] memory_mib in jaegis.toml, or jaegis deploy <app.wasm> --memory ${mib})`
  }
  if (outcome.code === 'INVALID_ARTIFACT' || outcome.code === 'INVALID_WASM' || outcome.code === 'INTERNAL') return failed
  return undefined
}
