// npm run bench:http — autocannon against `jaegis serve` invoking hello and against a bare node:http
// server answering the same bytes: same connections and duration, alternating A/B, each server in
// its own process. Every jaegis request runs from fresh snapshot state.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { isMain, printResult, round } from './util.js'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)

async function startTarget(kind: 'jaegis' | 'bare'): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./http-target.js', import.meta.url)), kind], { stdio: ['ignore', 'pipe', 'inherit'] })
  let buf = ''
  for await (const chunk of child.stdout!) {
    buf += String(chunk)
    const m = /listening (\d+)/.exec(buf)
    if (m) return { child, port: Number(m[1]) }
  }
  throw new Error(`${kind} server exited before listening`)
}

async function load(url: string): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1 })
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx }
}

export async function run(): Promise<Record<string, number>> {
  const targets = { jaegis: await startTarget('jaegis'), bare: await startTarget('bare') }
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
        process.stderr.write(`round ${i + 1} ${kind}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}\n`)
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const jaegisRps = mean(results.jaegis.map((r) => r.rps))
    const bareRps = mean(results.bare.map((r) => r.rps))
    return {
      jaegis_rps: Math.round(jaegisRps),
      bare_rps: Math.round(bareRps),
      ratio: round(jaegisRps / bareRps, 3),
      jaegis_p99_ms: Math.max(...results.jaegis.map((r) => r.p99)),
      bare_p99_ms: Math.max(...results.bare.map((r) => r.p99)),
      errors: results.jaegis.reduce((a, r) => a + r.errors + r.non2xx, 0) + results.bare.reduce((a, r) => a + r.errors + r.non2xx, 0),
      connections: CONNECTIONS,
      duration_s: DURATION_S,
      rounds: ROUNDS,
    }
  } finally {
    for (const t of Object.values(targets)) {
      t.child.kill('SIGTERM')
      await once(t.child, 'exit').catch(() => {})
    }
  }
}

if (isMain(import.meta.url)) printResult(await run())
