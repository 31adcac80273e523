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
import { LANE_POLICY } from './policy.js'

/** Stats are sent at most this often (ms): enough for metrics and the autoscaler's pool view. */
const STATS_EVERY_MS = 100

const data = workerData as LaneData
/**
 * A lane runs each invocation at the process's own priority for its first slice (LANE_POLICY.sliceMs
 * with a slice's work, as an inline attempt would have), then at niceness `data.nice` for the rest of
 * that run: a short run in a lane costs the gateway thread what it would have inline and no more, and
 * a long one soon yields the CPU to the gateway thread, the admin API and health checks. With every
 * run at `data.nice` from the start, a function's first requests (new functions start in lanes)
 * starved behind busy gateway threads: bench:concurrency's burst got 504s from hello. Undefined when
 * this thread's priority cannot be changed (not Linux, or not allowed): lanes run at the process's.
 */
const priority = ((): { demote: { afterMs: number; fn: () => void }; restore(): void } | undefined => {
  if (data.nice === 0) return undefined
  try {
    // /proc/thread-self names this thread.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
    const base = getPriority(tid)
    if (data.nice <= base) return undefined
    let lowered = false
    const set = (nice: number): boolean => {
      try {
        setPriority(tid, nice)
        return true
      } catch {
        return false // raising a priority back needs CAP_SYS_NICE or RLIMIT_NICE: without it the lane stays low, as it always was before
      }
    }
    return {
      demote: { afterMs: LANE_POLICY.sliceMs, fn: () => void (lowered ||= set(data.nice)) },
      restore() {
        if (lowered && set(base)) lowered = false
      },
    }
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
      priority?.restore()
      try {
        if (m.load) {
          for (const [key, module, size] of m.load.modules) cache.put(key, module, size)
          runtime.load(m.load.artifact)
          runtime.setPool(m.name, m.load.pool)
        }
        const response = runtime.invokeSync(m.name, m.req, { deadline: m.deadlineEpochMs - performance.timeOrigin, work, ...(priority ? { demote: priority.demote } : {}), ...(m.start ? { start: m.start } : {}) })
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
  send({ t: 'ready' })
})
