// A lane: a worker thread with its own runtime, running one invocation at a time for the LaneSet on
// the gateway thread. Functions arrive with their first invocation here (artifact + compiled
// modules), keep their own pools, and report every log line, event and their stats back.
import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import { performance } from 'node:perf_hooks'
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { isJaegisError } from '../errors.js'
import { LruModuleCache } from '../module-cache.js'
import { createRuntime, type InvokeEvent } from '../runtime.js'
import type { FromLane, LaneData, ToLane } from './protocol.js'
import { LanePriority } from './priority.js'

/** Stats are sent at most this often (ms): enough for metrics and the autoscaler's pool view. */
const STATS_EVERY_MS = 100

const data = workerData as LaneData
// Undefined when this thread's priority cannot be changed (not Linux, or not allowed): lanes run at the process's.
const priority = ((): LanePriority | undefined => {
  if (data.nice === 0) return undefined
  try {
    // /proc/thread-self names this thread.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    // The process's priority: the main thread's (this thread was started low, by the spawner).
    const base = getPriority(process.pid)
    if (data.nice <= base) return undefined
    return new LanePriority(base, data.nice, (nice) => setPriority(tid, nice), data.fuelPerCheck)
  } catch {
    return undefined
  }
})()
// The gateway thread is reached through a MessagePort the spawner hands over first.
let port: MessagePort | undefined
const send = (m: FromLane) => port!.postMessage(m)
const cache = new LruModuleCache()
let event: InvokeEvent | undefined
// The parent runtime checked every artifact's signature before handing it to a lane.
const runtime = createRuntime({ signatures: false, moduleCache: cache, fuelPerCheck: data.fuelPerCheck, onLog: (entry) => send({ t: 'log', entry }), onInvoke: (e) => (event = e) })
let statsAt = 0
let statsTimer: NodeJS.Timeout | undefined

function sendStats(): void {
  statsTimer = undefined
  statsAt = performance.now()
  send({ t: 'stats', functions: runtime.stats().functions })
}

function onMessage(m: ToLane): void {
  switch (m.t) {
    case 'invoke': {
      event = undefined
      const work = { fuelChecks: 0 }
      // A function known to run long yields from its first instruction; any other gets a slice first.
      priority?.runStarts(m.low === true)
      try {
        if (m.load) {
          for (const [key, module, size] of m.load.modules) cache.put(key, module, size)
          runtime.load(m.load.artifact)
          runtime.setPool(m.name, m.load.pool)
        }
        const response = runtime.invokeSync(m.name, m.req, { deadline: m.deadlineEpochMs - performance.timeOrigin, work, ...(priority && !m.low ? { demote: priority.demote } : {}), ...(m.start ? { start: m.start } : {}) })
        send({ t: 'done', id: m.id, response, fuelChecks: work.fuelChecks, ...(event ? { event } : {}) })
      } catch (err) {
        const e = isJaegisError(err) ? err : undefined
        const error = e ? { code: e.code, message: e.message, expose: e.expose } : { code: 'INTERNAL' as const, message: `lane: ${(err as Error)?.stack ?? String(err)}`, expose: false }
        send({ t: 'done', id: m.id, error, fuelChecks: work.fuelChecks, ...(event ? { event } : {}) })
      }
      if (performance.now() - statsAt >= STATS_EVERY_MS) sendStats()
      else statsTimer ??= setTimeout(sendStats, STATS_EVERY_MS)
      break
    }
    case 'unload':
      runtime.unload(m.name)
      break
    case 'pool':
      if (runtime.has(m.name)) runtime.setPool(m.name, m)
      break
  }
}

parentPort!.once('message', (m: { t: 'port'; port: MessagePort }) => {
  port = m.port
  port.on('message', onMessage)
  priority?.ready()
  send({ t: 'ready' })
})
