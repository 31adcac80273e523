// The worker thread of one trial request (trial.ts): loads the stripped artifact into a runtime of
// its own, invokes it once with TRIAL_REQUEST, reports log lines and the outcome, and ends.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { performance } from 'node:perf_hooks'
import type { Artifact } from './artifact.js'
import { MemoryLimitError, isJaegisError } from './errors.js'
import { LruModuleCache } from './module-cache.js'
import { createRuntime } from './runtime.js'
import { TRIAL_REQUEST, type TrialMessage, type TrialModules } from './trial.js'

const { artifact, fuelPerCheck, modules } = workerData as { artifact: Artifact; fuelPerCheck: number; modules: TrialModules }
// Started by the spawner thread (offload/off-thread.ts): what the runtime hears comes through the port it sends first.
parentPort!.once('message', ({ port }: { port: MessagePort }) => {
  const send = (m: TrialMessage) => port.postMessage(m)
  const t0 = performance.now()
  const cache = new LruModuleCache()
  for (const [key, module, size] of modules) cache.put(key, module, size)
  const runtime = createRuntime({ moduleCache: cache, fuelPerCheck, onLog: (e) => send({ t: 'log', level: e.level, message: e.message }) })
  try {
    runtime.load({ ...artifact, meta: { ...artifact.meta, config: { ...artifact.meta.config, pool: { minWarm: 1, maxWarm: 1 } } } })
    const res = runtime.invokeSync(artifact.meta.config.name, TRIAL_REQUEST)
    send({ t: 'done', outcome: { ok: true, status: res.status, ms: performance.now() - t0 } })
  } catch (err) {
    const ms = performance.now() - t0
    if (isJaegisError(err)) send({ t: 'done', outcome: { ok: false, code: err.code, message: err.message, ...(err instanceof MemoryLimitError ? { wantedBytes: err.wantedBytes } : {}), ms } })
    else send({ t: 'done', outcome: { ok: false, code: 'INTERNAL', message: String((err as Error)?.message ?? err), ms } })
  } finally {
    runtime.close()
  }
})
