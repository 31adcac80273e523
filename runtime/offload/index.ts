// The runtime's use of OffThread: what prepareAsync hands to its worker (runtime-worker.ts).
import type { SignatureCheck, SignaturePolicy } from '@jaegis/artifact'
import type { ArtifactMeta } from '../artifact.js'
import type { MeterOptions, MeteredModule } from '../wasm/meter.js'
import { JaegisError } from '../errors.js'
import { OffThread } from './off-thread.js'
import { builtScript } from '../built-script.js'

export { OffThread, serveOffThread, OFF_THREAD_IDLE_MS } from './off-thread.js'

/** Longest one piece of prepareAsync's work may take off the thread before it is stopped. */
export const OFF_THREAD_PREPARE_TIMEOUT_MS = 60_000

const limit = (what: string) => ({ timeoutMs: OFF_THREAD_PREPARE_TIMEOUT_MS, timeoutError: () => new JaegisError('INVALID_ARTIFACT', `invalid artifact: ${what} took over ${OFF_THREAD_PREPARE_TIMEOUT_MS / 1000} s and was stopped`) })

let worker: OffThread | undefined
const runtimeWorker = () => (worker ??= new OffThread(builtScript('runtime-worker', import.meta.url, '../dist/offload')))

/**
 * Whether `policy` asks anything of an artifact with `meta`: a signature it carries is always checked,
 * a missing one only matters when signatures are required. `false`: checked elsewhere already.
 */
export function signatureCheckNeeded(meta: ArtifactMeta, policy: SignaturePolicy | false): policy is SignaturePolicy {
  return policy !== false && (meta.signature !== undefined || policy.requireSigned === true)
}

/** checkArtifactSignature on the runtime's worker thread (the wasm is hashed there too); no hop when nothing is to check. */
export async function verifyOffThread(meta: ArtifactMeta, wasm: Uint8Array, policy: SignaturePolicy | false): Promise<SignatureCheck> {
  if (!signatureCheckNeeded(meta, policy)) return { state: 'unsigned' }
  return runtimeWorker().call('verify', { meta, wasm, policy }, limit('checking its signature'))
}

/** meterModule on the runtime's worker thread. */
export function meterOffThread(wasm: Uint8Array, options: MeterOptions): Promise<MeteredModule> {
  return runtimeWorker().call('meter', { wasm, options }, limit('metering the module'))
}

/** addDirtyMarks (wasm/dirty-marks.ts) on the runtime's worker thread; undefined when the marks cannot follow the module. */
export function dirtyMarksOffThread(wasm: Uint8Array, shift: number): Promise<Uint8Array | undefined> {
  return runtimeWorker().call('dirtyMarks', { wasm, shift }, limit('marking the module for resets'))
}

/** glueBody (component-host.ts) on the runtime's worker thread. */
export function glueBodyOffThread(source: string): Promise<{ body: string; tables: number }> {
  return runtimeWorker().call('glue', { source }, limit("rewriting the component's glue"))
}
