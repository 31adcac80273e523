// The lane spawner's thread: creates and ends lane threads for the gateway thread, so that the cost
// of starting a V8 isolate (measured 1-22 ms on the calling thread per `new Worker`) never lands on
// the thread that serves requests. Each lane gets a MessagePort to talk to the gateway thread directly.
import { MessageChannel, Worker, parentPort } from 'node:worker_threads'
import type { FromSpawner, ToSpawner } from './spawner.js'

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
