// npm run bench:http — autocannon against `jaegis serve` invoking hello and against a bare node:http
// server answering the same bytes: same connections and duration, alternating A/B, each server in
// its own process. Every jaegis request runs from fresh snapshot state. Then the same with N
// workers on each side (jaegis serve --workers N against node:cluster with N workers; N defaults
// to the number of cores, BENCH_WORKERS overrides it; 0 skips the pair).
import { once } from 'node:events'
import { availableParallelism } from 'node:os'
import autocannon from 'autocannon'
import { isMain, startTarget, printResult, round } from './util.js'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism())

const startHttpTarget = (kind: 'jaegis' | 'bare', workers = 1) => startTarget('./http-target.js', [kind, String(workers)])

async function load(url: string): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1 })
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx }
}

interface Comparison {
  jaegis: number
  bare: number
  jaegisP99: number
  bareP99: number
  errors: number
}

/** Alternating A/B rounds of jaegis and bare with `workers` processes each. */
async function compare(workers: number): Promise<Comparison> {
  const targets = { jaegis: await startHttpTarget('jaegis', workers), bare: await startHttpTarget('bare', workers) }
  const urls = { jaegis: `http://127.0.0.1:${targets.jaegis.port}/fn/hello`, bare: `http://127.0.0.1:${targets.bare.port}/fn/hello` }
  try {
    // warm-up, then alternate A/B
    await autocannon({ url: urls.jaegis, connections: CONNECTIONS, duration: 1 })
    await autocannon({ url: urls.bare, connections: CONNECTIONS, duration: 1 })
    const results = { jaegis: [] as Awaited<ReturnType<typeof load>>[], bare: [] as Awaited<ReturnType<typeof load>>[] }
    for (let i = 0; i < ROUNDS; i++) {
      for (const kind of i % 2 === 0 ? (['jaegis', 'bare'] as const) : (['bare', 'jaegis'] as const)) {
        const r = await load(urls[kind])
        results[kind].push(r)
        process.stderr.write(`workers ${workers} round ${i + 1} ${kind}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}\n`)
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    return {
      jaegis: mean(results.jaegis.map((r) => r.rps)),
      bare: mean(results.bare.map((r) => r.rps)),
      jaegisP99: Math.max(...results.jaegis.map((r) => r.p99)),
      bareP99: Math.max(...results.bare.map((r) => r.p99)),
      errors: results.jaegis.reduce((a, r) => a + r.errors + r.non2xx, 0) + results.bare.reduce((a, r) => a + r.errors + r.non2xx, 0),
    }
  } finally {
    for (const t of Object.values(targets)) {
      t.child.kill('SIGTERM')
      await once(t.child, 'exit').catch(() => {})
    }
  }
}

export async function run(): Promise<Record<string, number>> {
  const one = await compare(1)
  const many = WORKERS > 1 ? await compare(WORKERS) : undefined
  return {
    jaegis_rps: Math.round(one.jaegis),
    bare_rps: Math.round(one.bare),
    ratio: round(one.jaegis / one.bare, 3),
    jaegis_p99_ms: one.jaegisP99,
    bare_p99_ms: one.bareP99,
    ...(many
      ? {
          workers: WORKERS,
          jaegis_workers_rps: Math.round(many.jaegis),
          bare_workers_rps: Math.round(many.bare),
          ratio_workers: round(many.jaegis / many.bare, 3),
          jaegis_workers_p99_ms: many.jaegisP99,
          bare_workers_p99_ms: many.bareP99,
        }
      : { workers: 1 }),
    errors: one.errors + (many?.errors ?? 0),
    connections: CONNECTIONS,
    duration_s: DURATION_S,
    rounds: ROUNDS,
  }
}

if (isMain(import.meta.url)) printResult(await run())
