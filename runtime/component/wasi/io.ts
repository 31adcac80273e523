// wasi:io 0.2 for the component host: errors, pollables and in-memory streams. Streams are byte
// buffers (request bodies in, response bodies and stdio out), so every call is synchronous and cheap.
import { performance } from 'node:perf_hooks'
import { SliceExpiredError, TimeoutError } from '../../errors.js'
import type { Deadline } from '../../instance.js'

/** wasi:io/error.error: a host error a guest can print. */
export class IoError {
  constructor(readonly message: string) {}
  toDebugString(): string {
    return this.message
  }
}

/** Sleeps the calling thread (for blocking polls on timers). Bounded by the caller. */
export function sleepMs(ms: number): void {
  if (ms > 0) Atomics.wait(SLEEP, 0, 0, ms)
}
const SLEEP = new Int32Array(new SharedArrayBuffer(4))

/** wasi:io/poll.pollable: ready now, or at a monotonic instant (ns, performance.now based). */
export class Pollable {
  constructor(private readonly readyAtNs: bigint = 0n) {}
  ready(): boolean {
    return nowNs() >= this.readyAtNs
  }
  block(): void {
    const waitMs = Number(this.readyAtNs - nowNs()) / 1e6
    if (waitMs > 0) blockHook.current(waitMs)
  }
  /** ns until ready (0 when ready). */
  remainingNs(): bigint {
    const d = this.readyAtNs - nowNs()
    return d > 0n ? d : 0n
  }
}

/**
 * How a blocking wait is done. The component host swaps in a version that refuses to sleep past the
 * invocation's deadline (it sleeps to the deadline, then the next fuel check or this hook throws TIMEOUT).
 */
export const blockHook: { current: (ms: number) => void } = { current: sleepMs }

/**
 * Runs `fn` (one invocation) with blocking waits inside the guest (timers, polls) that never sleep past
 * `d.deadline`, nor past `d.sliceDeadline` (an inline attempt on the gateway thread: stopped, to run again in a lane).
 */
export function withBoundedWaits<T>(d: Readonly<Deadline>, fn: () => T): T {
  blockHook.current = (ms) => {
    if (d.sliceDeadline !== undefined && performance.now() + ms > d.sliceDeadline) throw new SliceExpiredError()
    const left = d.deadline - performance.now()
    if (ms >= left) {
      sleepMs(left)
      throw new TimeoutError(d.timeoutMs)
    }
    sleepMs(ms)
  }
  try {
    return fn()
  } finally {
    blockHook.current = sleepMs
  }
}

/** wasi:io/poll.poll: indices of the ready pollables; blocks until at least one is ready. */
export function poll(list: Pollable[]): Uint32Array {
  if (list.length === 0) throw new IoError('poll: empty list')
  let ready = list.flatMap((p, i) => (p.ready() ? [i] : []))
  if (ready.length === 0) {
    const soonest = list.reduce((m, p) => (p.remainingNs() < m ? p.remainingNs() : m), list[0]!.remainingNs())
    blockHook.current(Number(soonest) / 1e6)
    ready = list.flatMap((p, i) => (p.ready() ? [i] : []))
    if (ready.length === 0) ready = [list.findIndex((p) => p.remainingNs() === 0n)].filter((i) => i >= 0)
  }
  return Uint32Array.from(ready)
}

export function nowNs(): bigint {
  return BigInt(Math.round(performance.now() * 1e6))
}

/** The `stream-error` variant: thrown (as a plain object) so jco lowers it as `err`. */
export const CLOSED = Object.freeze({ tag: 'closed' as const })
export function failed(message: string): { tag: 'last-operation-failed'; val: IoError } {
  return { tag: 'last-operation-failed', val: new IoError(message) }
}

/** wasi:io/streams.input-stream over a byte buffer. */
export class InputStream {
  private at = 0
  constructor(private readonly data: Uint8Array) {}
  read(len: bigint): Uint8Array {
    if (this.at >= this.data.length) throw CLOSED
    const n = Math.min(Number(len), this.data.length - this.at)
    const out = this.data.slice(this.at, this.at + n)
    this.at += n
    return out
  }
  blockingRead(len: bigint): Uint8Array {
    return this.read(len)
  }
  skip(len: bigint): bigint {
    return BigInt(this.read(len).length)
  }
  blockingSkip(len: bigint): bigint {
    return this.skip(len)
  }
  subscribe(): Pollable {
    return new Pollable()
  }
}

/** Where an output stream's bytes go. */
export interface Sink {
  write(bytes: Uint8Array): void
  /** Bytes still accepted; writes past it fail. @default unlimited */
  capacity?(): number
}

const WRITE_BUDGET = 1 << 20

/** wasi:io/streams.output-stream into a sink. */
export class OutputStream {
  closed = false
  constructor(private readonly sink: Sink) {}
  checkWrite(): bigint {
    if (this.closed) throw CLOSED
    return BigInt(Math.min(WRITE_BUDGET, this.sink.capacity?.() ?? WRITE_BUDGET))
  }
  write(contents: Uint8Array): void {
    if (this.closed) throw CLOSED
    const cap = this.sink.capacity?.()
    if (cap !== undefined && contents.length > cap) throw failed('output limit reached')
    this.sink.write(contents.slice())
  }
  blockingWriteAndFlush(contents: Uint8Array): void {
    this.write(contents)
  }
  flush(): void {
    if (this.closed) throw CLOSED
  }
  blockingFlush(): void {
    this.flush()
  }
  writeZeroes(len: bigint): void {
    this.write(new Uint8Array(Number(len)))
  }
  blockingWriteZeroesAndFlush(len: bigint): void {
    this.writeZeroes(len)
  }
  splice(src: InputStream, len: bigint): bigint {
    let bytes: Uint8Array
    try {
      bytes = src.read(len)
    } catch (e) {
      throw e === CLOSED ? CLOSED : e
    }
    this.write(bytes)
    return BigInt(bytes.length)
  }
  blockingSplice(src: InputStream, len: bigint): bigint {
    return this.splice(src, len)
  }
  subscribe(): Pollable {
    return new Pollable()
  }
  [Symbol.dispose](): void {
    this.closed = true
  }
}

/** A sink that collects bytes up to `limitBytes`. */
export class BufferSink implements Sink {
  private chunks: Uint8Array[] = []
  size = 0
  constructor(private readonly limitBytes = Infinity) {}
  write(bytes: Uint8Array): void {
    this.chunks.push(bytes)
    this.size += bytes.length
  }
  capacity(): number {
    return Math.max(0, this.limitBytes - this.size)
  }
  take(): Uint8Array {
    const out = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)
    this.chunks = []
    this.size = 0
    return out
  }
}

/** A sink that turns written text into log lines (stdout/stderr of a component). */
export class LineSink implements Sink {
  private pending = ''
  private readonly decoder = new TextDecoder()
  constructor(private readonly emit: (line: string) => void) {}
  write(bytes: Uint8Array): void {
    this.pending += this.decoder.decode(bytes, { stream: true })
    let nl: number
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      this.emit(this.pending.slice(0, nl))
      this.pending = this.pending.slice(nl + 1)
    }
    if (this.pending.length > 16384) this.flush()
  }
  flush(): void {
    if (this.pending) this.emit(this.pending)
    this.pending = ''
  }
}
