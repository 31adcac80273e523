// The lane spawner's thread: creates and ends lane threads for the gateway thread, so that the cost
// of starting a V8 isolate (measured 1-22 ms on the calling thread per `new Worker`) never lands on
// the thread that serves requests. Each lane gets a MessagePort to talk to the gateway thread directly.
import { readlinkSync } from 'node:fs'
import { setPriority } from 'node:os'
import { MessageChannel, Worker, parentPort } from 'node:worker_threads'
import type { FromSpawner, ToSpawner } from './spawner.js'
import { LANE_POLICY } from './policy.js'

// This thread, and every thread it starts (a new thread inherits its creator's niceness on Linux),
// runs at LANE_POLICY.nice: a lane's boot (an isolate, then loading the runtime's modules: tens of ms
// of CPU before the lane's own code can lower itself), an off-thread worker's or a trial's never
// competes with the gateway thread. Measured in bench:isolation on a quiet machine: with lanes
// booting at the process's priority, an inline attempt of a 2 ms slice on the gateway thread took
// 11-17 ms while four lanes booted. Lanes raise themselves when ready (lanes/priority.ts).
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), LANE_POLICY.nice)
} catch {
  // Not Linux, or not allowed: threads start at the process's priority.
}

const port = parentPort!
const lanes = new Map<number, Worker>()
const send = (m: FromSpawner, transfer?: Transferable[]) => port.postMessage(m, transfer as never)

port.on('message', (m: ToSpawner) => {
  if (m.t === 'terminate') {
    void lanes.get(m.id)?.terminate()
    return
  }
  let worker: Worker
  try {
    worker = new Worker(new URL(m.script), { workerData: m.workerData })
  } catch (err) {
    send({ t: 'exit', id: m.id, error: (err as Error).message })
    return
  }
  lanes.set(m.id, worker)
  const { port1, port2 } = new MessageChannel()
  worker.postMessage({ t: 'port', port: port2 }, [port2])
  send({ t: 'spawned', id: m.id, port: port1 }, [port1])
  let reported = false
  const exit = (error?: string) => {
    if (reported) return
    reported = true
    lanes.delete(m.id)
    send({ t: 'exit', id: m.id, ...(error ? { error } : {}) })
  }
  worker.on('error', (err) => exit(err.message))
  worker.on('exit', () => exit())
})
