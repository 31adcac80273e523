// Work that would hold the gateway thread for more than a moment — hashing a large module, checking
// an ML-DSA signature (7-11 ms), metering (tens of ms), transpiling a component with jco (seconds) —
// runs on a thread of its own, so a deploy, a rollback or a cluster host loading its plan never
// stalls the requests being served. One thread per script, started on first use through the lane
// spawner (so not even `new Worker` runs on the calling thread) and ended after a while idle.
import type { MessagePort } from 'node:worker_threads'
import { parentPort } from 'node:worker_threads'
import { JaegisError, isJaegisError, type ErrorCode } from '../errors.js'
import { LaneSpawner, type LaneHandle } from '../lanes/spawner.js'

/** How long an idle off-thread worker is kept for the next call. */
export const OFF_THREAD_IDLE_MS = 30_000

type Request = { id: number; method: string; args: unknown }
type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code?: string; message: string } }

let spawner: LaneSpawner | undefined

/** The process's spawner for threads that are not lanes (off-thread workers, trial requests). */
export function sharedSpawner(): LaneSpawner {
  return (spawner ??= new LaneSpawner())
}

/** A thread running `script` (which calls serveOffThread); calls are answered in order. */
export class OffThread {
  private handle: LaneHandle | undefined
  private readonly pending = new Map<number, { handle: LaneHandle; resolve(v: unknown): void; reject(e: Error): void }>()
  private nextId = 1
  private idle: NodeJS.Timeout | undefined
  /** Holds the process open while calls are in flight (the thread and its port are unref'd). */
  private keepAlive: NodeJS.Timeout | undefined

  constructor(private readonly script: URL, private readonly idleMs = OFF_THREAD_IDLE_MS) {}

  /**
   * Runs `method` there. Its JaegisErrors arrive as JaegisErrors (code and message); anything else as
   * an Error. Past `timeoutMs` the thread is ended (with whatever else it was doing: those calls fail
   * too) and the call fails with `timeoutError`; the next call starts a new thread.
   */
  call<T>(method: string, args: unknown, limit?: { timeoutMs: number; timeoutError: () => Error }): Promise<T> {
    clearTimeout(this.idle)
    const id = this.nextId++
    const handle = (this.handle ??= this.start())
    this.keepAlive ??= setInterval(() => {}, 1 << 30)
    return new Promise<T>((resolve, reject) => {
      const timer = limit && setTimeout(() => {
        if (!this.pending.has(id)) return
        this.pending.delete(id)
        reject(limit.timeoutError())
        this.close()
      }, limit.timeoutMs)
      const settle = <A>(f: (a: A) => void) => (a: A) => {
        clearTimeout(timer)
        f(a)
      }
      this.pending.set(id, { handle, resolve: settle(resolve as (v: unknown) => void), reject: settle(reject) })
      handle.post({ id, method, args } satisfies Request)
    })
  }

  /** Ends the thread; calls in flight fail. */
  close(): void {
    clearTimeout(this.idle)
    this.handle?.terminate()
    this.handle = undefined
    this.fail(new Error('the off-thread worker was closed'))
  }

  private start(): LaneHandle {
    const handle: LaneHandle = sharedSpawner().spawn(
      this.script,
      undefined,
      (m) => this.answer(m as Reply),
      (error) => {
        if (this.handle === handle) this.handle = undefined
        this.fail(new Error(`the off-thread worker stopped${error ? `: ${error.message}` : ''}`), handle)
      },
    )
    return handle
  }

  private answer(m: Reply): void {
    const p = this.pending.get(m.id)
    if (!p) return
    this.pending.delete(m.id)
    if (m.ok) p.resolve(m.value)
    else p.reject(m.error.code ? new JaegisError(m.error.code as ErrorCode, m.error.message) : new Error(m.error.message))
    if (this.pending.size === 0) {
      this.settled()
      this.idle = setTimeout(() => {
        if (this.pending.size > 0) return
        this.handle?.terminate()
        this.handle = undefined
      }, this.idleMs)
      this.idle.unref()
    }
  }

  /** Fails the calls in flight (on `handle` only, when given). */
  private fail(err: Error, handle?: LaneHandle): void {
    for (const [id, p] of this.pending) {
      if (handle && p.handle !== handle) continue
      this.pending.delete(id)
      p.reject(err)
    }
    if (this.pending.size === 0) this.settled()
  }

  private settled(): void {
    clearInterval(this.keepAlive)
    this.keepAlive = undefined
  }
}

/** The worker side: answers OffThread calls with `handlers`. Call once, at the top of the worker script. */
export function serveOffThread(handlers: Record<string, (args: never) => unknown>): void {
  parentPort!.once('message', (m: { t: 'port'; port: MessagePort }) => {
    const port = m.port
    port.on('message', async (r: Request) => {
      let reply: Reply
      try {
        const handler = handlers[r.method]
        if (!handler) throw new Error(`no off-thread method "${r.method}"`)
        reply = { id: r.id, ok: true, value: await handler(r.args as never) }
      } catch (err) {
        reply = { id: r.id, ok: false, error: isJaegisError(err) ? { code: err.code, message: err.message } : { message: (err as Error)?.message ?? String(err) } }
      }
      port.postMessage(reply)
    })
  })
}
