// Isolation in time: lanes keep a slow, heavy or flooded function from delaying any other, and
// every guarantee (fresh state, deadlines, logs, stats, order of answers) holds in a lane.
import { connect } from 'node:net'
import { readdirSync, readFileSync } from 'node:fs'
import { getPriority } from 'node:os'
import { createServer, type Server } from 'node:http'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRuntime, LANE_POLICY, type Artifact, type Runtime } from '../runtime/index.js'
import { acceptFastConnections, createGateway } from '../gateway/index.js'
import { buildFunction, text } from './helpers.js'

let misbehave: Artifact
let hello: Artifact
let runtime: Runtime | undefined

beforeAll(async () => {
  ;[misbehave, hello] = await Promise.all([buildFunction('misbehave').then((r) => r.artifact), buildFunction('hello').then((r) => r.artifact)])
})
afterEach(() => {
  runtime?.close()
  runtime = undefined
})

/** The /busy?N answer the fixture computes: an i32 LCG run N million times from 1. */
function busyAnswer(millions: number): string {
  let x = 1
  for (let i = 0; i < millions * 1_000_000; i++) x = (Math.imul(x, 1103515245) + 12345) | 0
  return `busy ${x}`
}

/** A copy of `a` with other limits (as a manifest would set them) and other settings. */
function withLimits(a: Artifact, limits: Record<string, number>, config: Record<string, unknown> = {}): Artifact {
  return { ...a, meta: { ...a.meta, config: { ...a.meta.config, ...config, limits: { ...a.meta.config.limits, ...limits } } } }
}

/**
 * Runs `name` in lanes until it proves short and runs inline (a new function starts in lanes). An
 * answer here before any lane run is a try while lanes were still starting, not a proof.
 */
async function proveShort(rt: Runtime, name: string): Promise<void> {
  let laneRuns = 0
  for (let i = 0; i < 100 * LANE_POLICY.shortProofRuns; i++) {
    const r = rt.dispatch(name, {})
    if (!(r instanceof Promise)) {
      if (laneRuns >= LANE_POLICY.shortProofRuns) return
      await new Promise((ok) => setTimeout(ok, 10))
      continue
    }
    laneRuns++
    await r
  }
  throw new Error(`${name} did not prove short`)
}

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string }) => e.code ?? String(e))

describe('lanes', () => {
  it('a function that loops forever delays nobody: others answer at once, loops end concurrently at their deadlines', async () => {
    runtime = createRuntime({ lanes: { minLanes: 2 } })
    runtime.load(misbehave)
    runtime.load(hello)
    await proveShort(runtime, 'hello')
    const t0 = performance.now()
    const ends: number[] = []
    const spins = [1, 2, 3].map(() => code(runtime!.invoke('misbehave', { path: '/spin' })).then((c) => (ends.push(performance.now() - t0), c)))
    // While three loops run, hello answers on this thread, synchronously.
    const r = runtime.dispatch('hello', { query: 'name=lanes' })
    expect(r).not.toBeInstanceOf(Promise)
    expect(text((r as { body: Uint8Array }).body)).toBe('Hello, lanes!\n')
    expect(ends).toEqual([])
    expect(await Promise.all(spins)).toEqual(['TIMEOUT', 'TIMEOUT', 'TIMEOUT'])
    // One after another they would end at 200, 400 and 600 ms: in lanes they end together.
    expect(Math.max(...ends)).toBeLessThan(2.5 * misbehave.meta.config.limits.timeoutMs)
  })

  // Raising a thread's priority back needs privilege (CAP_SYS_NICE): CI runs as root.
  it.runIf(process.platform === 'linux' && process.getuid?.() === 0)('lowers a lane to LANE_POLICY.nice past a short run, keeps known-long runs there, runs others at the process priority, and starts threads low (priority.ts)', async () => {
    const base = getPriority()
    const tasks = () => readdirSync('/proc/self/task')
    // Lanes of earlier tests' runtimes may still be ending: only this runtime's threads count.
    const earlier = new Set(tasks())
    const nices = () => tasks().filter((t) => !earlier.has(t)).flatMap((t) => {
      try {
        // Niceness: field 19 of /proc/self/task/<tid>/stat.
        return [Number(readFileSync(`/proc/self/task/${t}/stat`, 'utf8').split(') ')[1]!.split(' ')[16])]
      } catch {
        return [] // ended meanwhile
      }
    })
    const lowered = () => nices().filter((n) => n === LANE_POLICY.nice).length
    const until = async (n: number) => {
      for (let i = 0; i < 150 && lowered() !== n; i++) await new Promise((r) => setTimeout(r, 10))
      return lowered()
    }
    runtime = createRuntime({ lanes: { minLanes: 1, maxLanes: 1 } })
    runtime.load(withLimits(misbehave, { timeoutMs: 1500 }))
    // With reuse, never inline: every run of it is in the lane.
    runtime.load(withLimits(hello, {}, { name: 'kept', reuse: true }))
    // The spawner thread stays low; the lane, once booted, waits at the process's priority.
    expect(await until(1)).toBe(1)
    const spin = code(runtime.invoke('misbehave', { path: '/spin' }))
    expect(await until(2)).toBe(2) // the loop's lane, past a short run's time
    expect(await spin).toBe('TIMEOUT')
    // The loop's function is known long now: its next run, short as it is, stays low.
    expect(await code(runtime.invoke('misbehave', { path: '/count' }))).toBe('ok')
    expect(lowered()).toBe(2)
    // Another function's run in the same lane (the only one) is at the process's priority, and the
    // lane waits there for the next: unless the run itself outlived shortMs (a busy machine can
    // deschedule it), so a few runs are allowed to show it.
    let raised = false
    for (let i = 0; i < 20 && !raised; i++) {
      expect(await code(runtime.invoke('kept', {}))).toBe('ok')
      raised = lowered() === 1
    }
    expect(raised).toBe(true)
    expect(nices().filter((n) => n !== LANE_POLICY.nice).every((n) => n === base)).toBe(true)
  })

  it('stops an invocation that outlives its slice and re-runs it from the snapshot in a lane, invisibly', async () => {
    const logs: string[] = []
    runtime = createRuntime({ lanes: { minLanes: 1 }, onLog: (l) => logs.push(l.message) })
    runtime.load(withLimits(misbehave, { timeoutMs: 10_000 }))
    await proveShort(runtime, 'misbehave')
    await new Promise((r) => setTimeout(r, 500)) // lanes report their counters every 100 ms
    const before = runtime.stats().functions.misbehave!.invocations
    const first = runtime.dispatch('misbehave', { path: '/busy', query: '10' })
    expect(first).toBeInstanceOf(Promise) // it outlived the slice here and went to a lane
    expect(text((await first).body)).toBe(busyAnswer(10))
    // The stopped attempt's log line was dropped: the user sees one run.
    await vi.waitFor(() => expect(logs).toEqual(['busy start']))
    // Its function now runs in lanes, even for a short request.
    const next = runtime.dispatch('misbehave', { path: '/count' })
    expect(next).toBeInstanceOf(Promise)
    expect(text((await next).body)).toBe('1') // fresh state in the lane too
    await vi.waitFor(() => expect(runtime!.stats().functions.misbehave!.invocations).toBe(before + 2))
    expect(runtime.stats().functions.misbehave!.errors).toEqual({})
  })

  it('runs a long-marked function inline again once it proves short in lanes', async () => {
    runtime = createRuntime({ lanes: { minLanes: 1 } })
    runtime.load(withLimits(misbehave, { timeoutMs: 10_000 }))
    await runtime.invoke('misbehave', { path: '/busy', query: '10' })
    // At least shortProofRuns short runs in lanes (more if the machine makes some of them slow).
    let laneRuns = 0
    for (let r = runtime.dispatch('misbehave', { path: '/' }); r instanceof Promise && laneRuns < 10 * LANE_POLICY.shortProofRuns; r = runtime.dispatch('misbehave', { path: '/' })) {
      laneRuns++
      await r
    }
    expect(laneRuns).toBeGreaterThanOrEqual(LANE_POLICY.shortProofRuns)
    expect(laneRuns).toBeLessThan(10 * LANE_POLICY.shortProofRuns)
    expect(runtime.dispatch('misbehave', { path: '/' })).not.toBeInstanceOf(Promise)
  })

  it('queues beyond max_concurrency and refuses with OVERLOADED beyond max_queue', async () => {
    runtime = createRuntime({ lanes: { minLanes: 2 } })
    runtime.load(withLimits(misbehave, { maxConcurrency: 1, maxQueue: 1, timeoutMs: 5000 }))
    await runtime.invoke('misbehave', { path: '/busy', query: '1' }) // now long-running: lanes from here
    const order: string[] = []
    const a = runtime.invoke('misbehave', { path: '/busy', query: '20' }).then((r) => (order.push('a'), text(r.body)))
    const b = runtime.invoke('misbehave', { path: '/busy', query: '1' }).then((r) => (order.push('b'), text(r.body)))
    const c = code(runtime.invoke('misbehave', { path: '/busy', query: '1' }))
    expect(await c).toBe('OVERLOADED')
    expect(await a).toBe(busyAnswer(20))
    expect(await b).toBe(busyAnswer(1))
    // b was shorter and a lane was free, yet it waited for a: one at a time.
    expect(order).toEqual(['a', 'b'])
  })

  it('serves waiting work round-robin: a flooded function does not hold up a quiet one', async () => {
    runtime = createRuntime({ lanes: { minLanes: 1, maxLanes: 1 } })
    runtime.load(withLimits(misbehave, { timeoutMs: 30_000 }))
    runtime.load(withLimits(misbehave, { timeoutMs: 30_000 }, { name: 'quiet' }))
    await runtime.invoke('misbehave', { path: '/busy', query: '1' })
    await runtime.invoke('quiet', { path: '/busy', query: '1' })
    let floodDone = 0
    const flood = Array.from({ length: 30 }, () => runtime!.invoke('misbehave', { path: '/busy', query: '1' }).then(() => floodDone++))
    const q = await runtime.invoke('quiet', { path: '/busy', query: '1' })
    expect(text(q.body)).toBe(busyAnswer(1))
    // Behind a FIFO it would wait for all 30; round-robin serves it after the one running.
    expect(floodDone).toBeLessThanOrEqual(2)
    await Promise.all(flood)
  })

  it("keeps a quiet function's p99 under a flood of another within 2x of its p99 alone", async () => {
    // One lane: every invocation of both functions waits in the same fair queue. The flood keeps 24
    // short requests (/busy 1) waiting at all times; the quiet function sends one heavier request
    // (/busy 8) at a time. The fair queue serves the quiet one after at most the flood request
    // running (~1.1x its time alone); a FIFO queue would make it wait for all 24 (~4x), plain
    // round-robin for one more flood request after that.
    runtime = createRuntime({ lanes: { minLanes: 1, maxLanes: 1 } })
    runtime.load(withLimits(misbehave, { timeoutMs: 30_000 }))
    runtime.load(withLimits(misbehave, { timeoutMs: 30_000 }, { name: 'quiet' }))
    await runtime.invoke('misbehave', { path: '/busy', query: '1' })
    await runtime.invoke('quiet', { path: '/busy', query: '8' })
    const quietRun = async (n: number): Promise<number[]> => {
      const ms: number[] = []
      for (let i = 0; i < n; i++) {
        const t0 = performance.now()
        const r = await runtime!.invoke('quiet', { path: '/busy', query: '8' })
        ms.push(performance.now() - t0)
        expect(r.status).toBe(200)
      }
      return ms
    }
    const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(0.99 * xs.length) - 1]!
    const alone: number[] = []
    const flooded: number[] = []
    let floodServed = 0
    for (let round = 0; round < 2; round++) {
      alone.push(...(await quietRun(20)))
      let flooding = true
      const floodLoop = async () => {
        while (flooding) {
          await runtime!.invoke('misbehave', { path: '/busy', query: '1' })
          floodServed++
        }
      }
      const loops = Array.from({ length: 24 }, floodLoop)
      await new Promise((r) => setTimeout(r, 20))
      flooded.push(...(await quietRun(20)))
      flooding = false
      await Promise.all(loops)
    }
    expect(floodServed).toBeGreaterThan(20) // the flood was served meanwhile, not starved either
    expect(p99(flooded)).toBeLessThanOrEqual(2 * p99(alone))
  })

  it('answers a request that waited past its deadline with TIMEOUT, on time', async () => {
    runtime = createRuntime({ lanes: { minLanes: 1, maxLanes: 1 } })
    runtime.load(withLimits(misbehave, { timeoutMs: 3000 }))
    // reuse = true: never inline, so it waits for the one lane.
    runtime.load(withLimits(misbehave, { timeoutMs: 200 }, { name: 'waiter', reuse: true }))
    const spin = code(runtime.invoke('misbehave', { path: '/spin' }))
    await new Promise((r) => setTimeout(r, 50))
    const t0 = performance.now()
    const waiting = code(runtime.invoke('waiter', { path: '/count' }))
    expect(await waiting).toBe('TIMEOUT')
    const waitedMs = performance.now() - t0
    expect(waitedMs).toBeGreaterThanOrEqual(199)
    expect(waitedMs).toBeLessThan(2000) // by its own deadline, long before the lane is free
    expect(await spin).toBe('TIMEOUT')
  })

  it('does not try a function inline after a lane run that would have outlived the slice, while lanes are held', async () => {
    runtime = createRuntime({ lanes: { minLanes: 1, maxLanes: 1 } })
    // The blocker holds the one lane for less than misbehave's deadline, so the request that waits
    // behind it is served.
    runtime.load(withLimits(misbehave, { timeoutMs: 600 }))
    runtime.load(withLimits(misbehave, { timeoutMs: 300 }, { name: 'blocker' }))
    // A new function runs in a lane when one is free: wait until the lane is up and takes it.
    await vi.waitFor(async () => {
      const r = runtime!.dispatch('misbehave', { path: '/count' })
      expect(r).toBeInstanceOf(Promise)
      await r
    }, { timeout: 10_000, interval: 20 })
    expect(await code(runtime.invoke('misbehave', { path: '/spin' }))).toBe('TIMEOUT')
    await vi.waitFor(() => expect(runtime!.laneStats()!.busy).toBe(0), { timeout: 5_000 })
    const blocker = code(runtime.invoke('blocker', { path: '/spin' }))
    expect(runtime.laneStats()!.busy).toBe(1)
    // No lane is free. A function that has only ever run in lanes would be tried here within the
    // slice (a short request answering at once, a long one holding this thread for the slice):
    // after a lane run with more work than a slice allows it waits for a lane instead.
    const next = runtime.dispatch('misbehave', { path: '/count' })
    expect(next).toBeInstanceOf(Promise)
    expect(await blocker).toBe('TIMEOUT')
    expect(text((await next).body)).toBe('1')
  })

  it('holds this thread about one slice, not one each, for a burst of new functions that loop while no lane is free', async () => {
    runtime = createRuntime({ lanes: { minLanes: 1, maxLanes: 1 } })
    runtime.load(withLimits(misbehave, { timeoutMs: 400 }, { name: 'blocker' }))
    const names = Array.from({ length: 16 }, (_, i) => `new${i}`)
    for (const name of names) runtime.load(withLimits(misbehave, { timeoutMs: 400 }, { name }))
    await vi.waitFor(async () => {
      const r = runtime!.dispatch('blocker', { path: '/count' })
      expect(r).toBeInstanceOf(Promise)
      await r
    }, { timeout: 10_000, interval: 20 })
    const blocker = code(runtime.invoke('blocker', { path: '/spin' }))
    expect(runtime.laneStats()!.busy).toBe(1)
    // Two bursts of eight: each new function would be tried here within a slice, and each attempt
    // stopped past it. Before the share of stopped attempts (LANE_POLICY.unprovenShare), each burst
    // was eight attempts, each holding this thread for a slice or more; now one, unless this thread
    // waits for a CPU between two dispatches for as long as the attempt took.
    const answers: Array<Promise<string>> = []
    for (const burst of [names.slice(0, 8), names.slice(8)]) {
      for (const name of burst) answers.push(code(Promise.resolve(runtime.dispatch(name, { path: '/spin' }))))
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(runtime.laneStats()!.stopped).toBeGreaterThanOrEqual(1)
    expect(runtime.laneStats()!.stopped).toBeLessThanOrEqual(4)
    // Every one is still answered, by its deadline, from the lane's queue.
    expect(await Promise.all(answers)).toEqual(names.map(() => 'TIMEOUT'))
    expect(await blocker).toBe('TIMEOUT')
  })

  it('loads a new version into lanes after a deploy: the next request runs it', async () => {
    const slow = withLimits(misbehave, { timeoutMs: 10_000 })
    runtime = createRuntime({ lanes: { minLanes: 1 } })
    runtime.load(slow)
    await runtime.invoke('misbehave', { path: '/busy', query: '1' })
    expect(text((await runtime.invoke('misbehave', { path: '/env', query: 'GREETING' })).body)).toBe('hi from the manifest')
    const v2 = withLimits(slow, {}, { env: { GREETING: 'v2' } })
    runtime.load(v2)
    await runtime.invoke('misbehave', { path: '/busy', query: '1' })
    expect(text((await runtime.invoke('misbehave', { path: '/env', query: 'GREETING' })).body)).toBe('v2')
    runtime.unload('misbehave')
    expect(await code(runtime.invoke('misbehave', {}))).toBe('UNKNOWN_FUNCTION')
  })
})

describe('gateway with lanes', () => {
  const SPIN_MS = 2000
  let server: Server
  let port: number
  let served: Runtime
  beforeAll(async () => {
    served = createRuntime({ lanes: { minLanes: 2 } })
    served.load(withLimits(misbehave, { timeoutMs: SPIN_MS }))
    served.load(hello)
    const gateway = createGateway(served)
    server = createServer((req, res) => {
      if (gateway(req, res)) return
      const sleep = /^\/sleep\?(\d+)$/.exec(req.url ?? '')
      if (sleep) return void setTimeout(() => res.end('slept\n'), Number(sleep[1]))
      res.writeHead(200, { 'content-length': 3 })
      res.end('ok\n')
    })
    acceptFastConnections(server, gateway)
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
    port = (server.address() as { port: number }).port
  })
  afterAll(() => {
    server.closeAllConnections()
    server.close()
    served.close()
  })

  it('answers pipelined requests in order when the first runs in a lane', async () => {
    const sock = connect(port, '127.0.0.1')
    let got = ''
    sock.on('data', (d) => (got += d))
    sock.write('GET /fn/misbehave/busy?10 HTTP/1.1\r\nHost: x\r\n\r\nGET /fn/hello?name=second HTTP/1.1\r\nHost: x\r\n\r\nGET /fn/misbehave/spin HTTP/1.1\r\nHost: x\r\n\r\nGET /fn/hello?name=fourth HTTP/1.1\r\nHost: x\r\n\r\n')
    await vi.waitFor(() => expect(got).toContain('Hello, fourth!'), { timeout: SPIN_MS + 5000 })
    sock.destroy()
    const order = ['busy ', 'Hello, second!', '"TIMEOUT"', 'Hello, fourth!'].map((s) => got.indexOf(s))
    expect(order.every((i) => i >= 0)).toBe(true)
    expect([...order].sort((x, y) => x - y)).toEqual(order)
    expect(got.match(/HTTP\/1\.1 /g)).toHaveLength(4)
  })

  it("answers each loop's 504 at its deadline, round after round, as promptly as a timer", async () => {
    // Each loop is sent beside a request the server answers from a plain timer of the same length,
    // so that what the machine's load does to this process's timers and sockets mostly cancels out:
    // the 504 may come no later than that answer plus BOUND_MS. The benchmark (npm run
    // bench:isolation) holds the absolute overrun to 10 ms; here, at load 15-20 from other work, pairs
    // were seen up to 68 ms apart once (a stall between the two answers), so the bound is looser.
    const BOUND_MS = 50
    // The client's own first requests (fetch's set-up, new connections) are not the server's time.
    await Promise.all(Array.from({ length: 8 }, () => fetch(`http://127.0.0.1:${port}/other`).then((r) => r.arrayBuffer())))
    const late: Array<{ spin: number; timer: number }> = []
    const at = async (path: string, t0: number) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST' })
      await res.arrayBuffer()
      return { status: res.status, ms: performance.now() - t0 - SPIN_MS }
    }
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let round = 0; round < 3; round++) {
          const t0 = performance.now()
          const [spin, timer] = await Promise.all([at('/fn/misbehave/spin', t0), at(`/sleep?${SPIN_MS}`, t0)])
          expect(spin.status).toBe(504)
          expect(timer.status).toBe(200)
          late.push({ spin: spin.ms, timer: timer.ms })
        }
      }),
    )
    expect(late).toHaveLength(12)
    expect(late.filter((l) => l.spin > l.timer + BOUND_MS)).toEqual([])
  }, 5 * SPIN_MS + 10_000)

  it('keeps answering other functions and other routes while every lane spins', async () => {
    const spins = Array.from({ length: 4 }, () => fetch(`http://127.0.0.1:${port}/fn/misbehave/spin`).then((r) => r.status))
    await new Promise((r) => setTimeout(r, 20))
    const started = performance.now()
    const [h, other] = await Promise.all([fetch(`http://127.0.0.1:${port}/fn/hello`), fetch(`http://127.0.0.1:${port}/healthz`)])
    expect(h.status).toBe(200)
    expect(other.status).toBe(200)
    const answeredIn = performance.now() - started
    expect(await Promise.all(spins)).toEqual([504, 504, 504, 504])
    // Answered while the loops still ran: before the first of them reached its deadline.
    expect(answeredIn).toBeLessThan(SPIN_MS)
  })
})
