// npm run bench:isolation — can one tenant's function hold up another? `jaegis serve` (its own
// process) with hello, quantum and four "hogs" (a loop that never ends, timeout_ms = 2000). Phase
// one measures hello and /healthz alone; phase two repeats it while four clients call the hogs back
// to back and four flood quantum with heavy circuits (24 qubits, 2,000 rx/cx gates, each running to
// its 30 s deadline). Latencies come from paced probes (a request every few ms on its own
// keep-alive connections, never waiting for the previous one); throughput from autocannon.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { request, Agent } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { build } from '@jaegis/compiler'
import { isMain, startTarget, percentile, printResult, projectRoot, round } from './util.js'

const PROBE_S = Number(process.env.BENCH_DURATION_S ?? 4)
const HOGS = 4
const FLOODERS = Number(process.env.BENCH_FLOODERS ?? 4)
const HOG_TIMEOUT_MS = 2000
const QUANTUM_TIMEOUT_MS = 30_000

async function buildHogs(): Promise<string[]> {
  const { cpSync, readFileSync, writeFileSync } = await import('node:fs')
  const dirs: string[] = []
  for (let i = 1; i <= HOGS; i++) {
    const dir = join(mkdtempSync(join(tmpdir(), 'jaegis-hog-')), `hog${i}`)
    cpSync(join(projectRoot(), 'test', 'fixtures', 'misbehave'), dir, { recursive: true, filter: (p) => !p.includes('/build') })
    const toml = readFileSync(join(dir, 'jaegis.toml'), 'utf8').replace('name = "misbehave"', `name = "hog${i}"`).replace(/timeout_ms = \d+/, `timeout_ms = ${HOG_TIMEOUT_MS}`)
    writeFileSync(join(dir, 'jaegis.toml'), toml)
    const r = await build(dir)
    dirs.push(r.outDir)
  }
  return dirs
}

const startIsolationTarget = (args: string[]) => startTarget('./isolation-target.js', args)

/** One HTTP exchange: status and milliseconds, or status 0 on a connection error. */
function exchange(agent: Agent, port: number, method: string, path: string, body?: string): Promise<{ status: number; ms: number }> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const req = request({ agent, host: '127.0.0.1', port, method, path, headers: body ? { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }))
    })
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }))
    req.end(body)
  })
}

/** Sends `path` every `everyMs` for `seconds`, each on its own exchange; returns latencies and failures. */
async function probe(port: number, path: string, everyMs: number, seconds: number): Promise<{ ms: number[]; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64, noDelay: true })
  const pending: Array<Promise<{ status: number; ms: number }>> = []
  const end = performance.now() + seconds * 1000
  while (performance.now() < end) {
    pending.push(exchange(agent, port, 'GET', path))
    await new Promise((r) => setTimeout(r, everyMs))
  }
  const results = await Promise.all(pending)
  agent.destroy()
  return { ms: results.map((r) => r.ms), errors: results.filter((r) => r.status !== 200).length }
}

async function rps(port: number, seconds: number): Promise<{ rps: number; errors: number }> {
  const r = await autocannon({ url: `http://127.0.0.1:${port}/fn/hello`, connections: 8, duration: seconds })
  return { rps: r.requests.average, errors: r.errors + r.timeouts + r.non2xx }
}

/** A circuit of `qubits` qubits and `gates` rx/cx gates (seeded, so every run floods alike). */
export function heavyCircuit(qubits: number, gates: number): string {
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32)
  const lines = ['OPENQASM 2.0;', 'include "qelib1.inc";', `qreg q[${qubits}];`]
  for (let i = 0; i < gates; i++) {
    const a = Math.floor(rand() * qubits)
    if (i % 2 === 0) lines.push(`rx(${(rand() * 3).toFixed(6)}) q[${a}];`)
    else lines.push(`cx q[${a}],q[${(a + 1 + Math.floor(rand() * (qubits - 1))) % qubits}];`)
  }
  return lines.join('\n') + '\n'
}

export async function run(): Promise<Record<string, number>> {
  const hogDirs = await buildHogs()
  const target = await startIsolationTarget(hogDirs)
  const { port } = target
  try {
    await rps(port, 1) // warm-up
    const aloneHello = await probe(port, '/fn/hello', 5, PROBE_S)
    const aloneHealthz = await probe(port, '/healthz', 20, PROBE_S)
    const alone = await rps(port, 3)

    // The hogs, from a process of their own: back-to-back calls until told to stop, each answered
    // (504) by its deadline.
    const hogs = fork(fileURLToPath(new URL('./isolation-hogs.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    await once(hogs, 'message')
    const circuit = heavyCircuit(24, 2000)
    hogs.send({
      t: 'start',
      port,
      clients: [
        ...Array.from({ length: HOGS }, (_, i) => ({ path: `/fn/hog${i + 1}/spin`, timeoutMs: HOG_TIMEOUT_MS, ...(process.env.BENCH_HOG_BODY && i === 0 ? { body: circuit } : {}) })),
        ...Array.from({ length: FLOODERS }, () => ({ path: '/fn/quantum', timeoutMs: QUANTUM_TIMEOUT_MS, body: circuit })),
      ],
    })
    await new Promise((r) => setTimeout(r, 500))
    const [hogHello, hogHealthz] = await Promise.all([probe(port, '/fn/hello', 5, PROBE_S), probe(port, '/healthz', 20, PROBE_S)])
    const underHogs = await rps(port, 3)
    hogs.send({ t: 'stop' })
    // The quantum floods end at their 30 s deadline.
    const [report] = (await once(hogs, 'message')) as [{ overruns: Array<{ path: string; ms: number }>; errors: number }]
    hogs.kill()
    const overruns = report.overruns.map((o) => o.ms)
    if (process.env.BENCH_VERBOSE) for (const o of report.overruns) process.stderr.write(`${o.path}: 504 ${o.ms.toFixed(1)} ms past its deadline\n`)
    const errors = report.errors
    return {
      hello_p99_ms_alone: round(percentile(aloneHello.ms, 99), 2),
      hello_p99_ms_under_hogs: round(percentile(hogHello.ms, 99), 2),
      healthz_p99_ms_alone: round(percentile(aloneHealthz.ms, 99), 2),
      healthz_p99_ms_under_hogs: round(percentile(hogHealthz.ms, 99), 2),
      hello_p50_ms_under_hogs: round(percentile(hogHello.ms, 50), 2),
      hello_rps_alone: Math.round(alone.rps),
      hello_rps_under_hogs: Math.round(underHogs.rps),
      hog_deadline_overrun_ms_max: round(Math.max(...overruns), 2),
      hog_deadline_overrun_ms_p50: round(percentile(overruns, 50), 2),
      hog_answers: overruns.length,
      errors: errors + aloneHello.errors + aloneHealthz.errors + hogHello.errors + hogHealthz.errors + alone.errors + underHogs.errors,
    }
  } finally {
    target.child.kill('SIGTERM')
    await once(target.child, 'exit').catch(() => {})
  }
}

if (isMain(import.meta.url)) printResult(await run())
