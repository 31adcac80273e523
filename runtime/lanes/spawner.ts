// Starts lane threads from a thread of its own (spawner-worker.ts): the gateway thread only posts a
// message and later receives the lane's MessagePort, so adding a lane never stalls requests.
import { MessagePort, Worker } from 'node:worker_threads'
import { builtScript } from '../built-script.js'

/** Gateway thread -> spawner. */
export type ToSpawner = { t: 'spawn'; id: number; script: string; workerData: unknown } | { t: 'terminate'; id: number }
/** Spawner -> gateway thread. */
export type FromSpawner = { t: 'spawned'; id: number; port: MessagePort } | { t: 'exit'; id: number; error?: string }

/** A lane as the gateway thread holds it: messages go out at once or wait for its port. */
export interface LaneHandle {
  post(message: unknown): void
  terminate(): void
}

interface Entry {
  port?: MessagePort
  queued: unknown[]
  onMessage(m: unknown): void
  onExit(error?: Error): void
}


export class LaneSpawner {
  private worker: Worker | undefined
  private nextId = 1
  private readonly entries = new Map<number, Entry>()

  /** Starts a lane running `script` with `workerData`; its messages reach `onMessage` once it runs. */
  spawn(script: URL, workerData: unknown, onMessage: (m: unknown) => void, onExit: (error?: Error) => void): LaneHandle {
    const id = this.nextId++
    const entry: Entry = { queued: [], onMessage, onExit }
    this.entries.set(id, entry)
    this.thread().postMessage({ t: 'spawn', id, script: script.href, workerData } satisfies ToSpawner)
    return {
      post: (m) => (entry.port ? entry.port.postMessage(m) : entry.queued.push(m)),
      terminate: () => this.worker?.postMessage({ t: 'terminate', id } satisfies ToSpawner),
    }
  }

  /** Ends the spawner and every lane it started. */
  close(): void {
    for (const e of this.entries.values()) e.port?.close()
    this.entries.clear()
    void this.worker?.terminate()
    this.worker = undefined
  }

  private thread(): Worker {
    if (this.worker) return this.worker
    const worker = new Worker(builtScript('spawner-worker', import.meta.url, '../dist/lanes'))
    worker.on('message', (m: FromSpawner) => {
      const entry = this.entries.get(m.id)
      if (!entry) {
        if (m.t === 'spawned') m.port.close()
        return
      }
      if (m.t === 'spawned') {
        entry.port = m.port
        m.port.on('message', entry.onMessage)
        m.port.unref()
        for (const q of entry.queued.splice(0)) m.port.postMessage(q)
      } else {
        this.entries.delete(m.id)
        entry.port?.close()
        entry.onExit(m.error ? new Error(m.error) : undefined)
      }
    })
    // The spawner itself failing ends every lane: each is reported gone, and a new spawner starts on demand.
    worker.on('error', () => this.lost())
    worker.on('exit', () => this.lost())
    // After the listeners: adding a 'message' listener refs the worker's port again.
    worker.unref()
    this.worker = worker
    return worker
  }

  private lost(): void {
    this.worker = undefined
    for (const [id, e] of [...this.entries]) {
      this.entries.delete(id)
      e.port?.close()
      e.onExit(new Error('the lane spawner stopped'))
    }
  }
}
