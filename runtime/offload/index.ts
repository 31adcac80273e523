// The runtime's use of OffThread: what prepareAsync hands to its worker (runtime-worker.ts).
import type { SignatureCheck, SignaturePolicy } from '@jaegis/artifact'
import type { ArtifactMeta } from '../artifact.js'
import type { MeterOptions, MeteredModule } from '../wasm/meter.js'
import { JaegisError } from '../errors.js'
import { OffThread } from './off-thread.js'

export { OffThread, serveOffThread, OFF_THREAD_IDLE_MS } from './off-thread.js'

/** Where a script of ours runs from: the built JavaScript, also when tests run the TypeScript sources. */
export function offThreadScript(name: string, here: string, distFromSource: string): URL {
  return here.endsWith('.ts') ? new URL(`${distFromSource}/${name}.js`, here) : new URL(`./${name}.js`, here)
}

/** Longest one piece of prepareAsync's work may take off the thread before it is stopped. */
export const OFF_THREAD_PREPARE_TIMEOUT_MS = 60_000

const limit = (what: string) => ({ timeoutMs: OFF_THREAD_PREPARE_TIMEOUT_MS, timeoutError: () => new JaegisError('INVALID_ARTIFACT', `invalid artifact: ${what} took over ${OFF_THREAD_PREPARE_TIMEOUT_MS / 1000} s and was stopped`) })

let worker: OffThread | undefined
const runtimeWorker = () => (worker ??= new OffThread(offThreadScript('runtime-worker', import.meta.url, '../dist/offload')))

/** checkArtifactSignature on the runtime's worker thread (the wasm is hashed there too). */
export function verifyOffThread(meta: ArtifactMeta, wasm: Uint8Array, policy: SignaturePolicy): Promise<SignatureCheck> {
  return runtimeWorker().call('verify', { meta, wasm, policy }, limit('checking its signature'))
}

/** meterModule on the runtime's worker thread. */
export function meterOffThread(wasm: Uint8Array, options: MeterOptions): Promise<MeteredModule> {
  return runtimeWorker().call('meter', { wasm, options }, limit('metering the module'))
}

/** glueBody (component-host.ts) on the runtime's worker thread. */
export function glueBodyOffThread(source: string): Promise<{ body: string; tables: number }> {
  return runtimeWorker().call('glue', { source }, limit("rewriting the component's glue"))
}
