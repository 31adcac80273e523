// npm run bench:concurrency — 50,000 concurrent keep-alive connections to `jaegis serve --workers N`,
// each sending one request to hello at once and staying open. The clients run in several processes,
// each from its own 127.x source addresses (one address has ~28,000 ephemeral ports) and under the
// per-process file-descriptor limit. Reports every request answered, latency from the moment all
// requests are sent, and the server's memory (primary and workers together).
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isMain, startTarget, percentile, printResult, round } from './util.js'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50_000)
/** Connections per client process (under the 20,000 descriptors a process may hold here). */
const PER_CLIENT = Number(process.env.BENCH_PER_CLIENT ?? 10_000)
/** Gateway processes: each holds CONNECTIONS / WORKERS sockets, under its descriptor limit. */
/** Source addresses per client process. */
const SOURCES_PER_CLIENT = 16
/** Connects each client process keeps in flight. */
const CONNECT_BATCH = Number(process.env.BENCH_CONNECT_BATCH ?? 256)
const WORKERS = Number(process.env.BENCH_WORKERS ?? Math.max(2, Math.ceil(CONNECTIONS / 15_000)))

const startConcurrencyTarget = () => startTarget('./http-target.js', [process.env.BENCH_TARGET ?? 'jaegis', String(WORKERS)])

/** RSS in MiB of `pid` and every process below it. */
function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>()
  let kb = 0
  const rss = new Map<number, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const status = readFileSync(`/proc/${entry}/status`, 'utf8')
      const ppid = Number(/PPid:\s+(\d+)/.exec(status)?.[1])
      rss.set(Number(entry), Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0))
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // the process ended meanwhile
    }
  }
  const walk = (p: number) => {
    kb += rss.get(p) ?? 0
    for (const c of children.get(p) ?? []) walk(c)
  }
  walk(pid)
  return kb / 1024
}

function message<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { t: string }) => {
      if (m.t !== type) return
      child.off('message', on)
      resolve(m as T)
    }
    child.on('message', on)
  })
}

export async function run(): Promise<Record<string, number>> {
  const target = await startConcurrencyTarget()
  const clients: ChildProcess[] = []
  try {
    const n = Math.ceil(CONNECTIONS / PER_CLIENT)
    for (let i = 0; i < n; i++) {
      const c = fork(fileURLToPath(new URL('./concurrency-client.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      await message(c, 'ready')
      clients.push(c)
    }
    const t0 = performance.now()
    const connected = await Promise.all(
      clients.map((c, i) => {
        const count = Math.min(PER_CLIENT, CONNECTIONS - i * PER_CLIENT)
        const done = message<{ connected: number; errors: number }>(c, 'connected')
        c.send({ t: 'start', port: target.port, count, localAddresses: Array.from({ length: SOURCES_PER_CLIENT }, (_, j) => `127.${1 + i}.${1 + j}.1`), connectBatch: CONNECT_BATCH })
        return done
      }),
    )
    const connectS = (performance.now() - t0) / 1000
    for (const c of connected as Array<{ statuses?: Record<string, number> }>) if (c.statuses && Object.keys(c.statuses).length) process.stderr.write(`connect failures: ${JSON.stringify(c.statuses)}\n`)
    const open = connected.reduce((a, c) => a + c.connected, 0)
    process.stderr.write(`${open} connections open in ${connectS.toFixed(1)} s\n`)
    const answered = await Promise.all(
      clients.map((c) => {
        const done = message<{ latencies: number[]; errors: number; statuses: Record<string, number> }>(c, 'answered')
        c.send({ t: 'go' })
        return done
      }),
    )
    const latencies = answered.flatMap((a) => a.latencies)
    for (const a of answered) if (Object.keys(a.statuses).length) process.stderr.write(`answers other than 200, and failures: ${JSON.stringify(a.statuses)}\n`)
    // Every connection is still open here: the server holds them all.
    const rssMb = treeRssMb(target.child.pid!)
    const errors = answered.reduce((a, r) => a + r.errors, 0) + connected.reduce((a, c) => a + c.errors, 0)
    process.stderr.write(`${latencies.length} answered, ${errors} errors, server RSS ${rssMb.toFixed(0)} MiB\n`)
    return {
      connections: open,
      answered: latencies.length,
      errors: errors + (CONNECTIONS - open),
      p50_ms: round(percentile(latencies, 50), 1),
      p99_ms: round(percentile(latencies, 99), 1),
      rss_mb: Math.round(rssMb),
      rss_kb_per_connection: round((rssMb * 1024) / Math.max(1, open), 2),
      workers: WORKERS,
      client_processes: clients.length,
      connect_s: round(connectS, 1),
    }
  } finally {
    for (const c of clients) {
      c.send({ t: 'close' })
      await once(c, 'exit').catch(() => {})
    }
    target.child.kill('SIGTERM')
    await once(target.child, 'exit').catch(() => {})
  }
}

if (isMain(import.meta.url)) printResult(await run())
