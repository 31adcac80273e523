// npm run bench:http — autocannon against `jaegis serve` invoking hello and against a bare node:http
// server answering the same bytes: same connections and duration, alternating A/B, each server in
// its own process. Every jaegis request runs from fresh snapshot state. Then the same with N
// workers on each side (jaegis serve --workers N against node:cluster with N workers; N defaults
// to the number of cores, BENCH_WORKERS overrides it; 0 skips the pair). Cloudflare's workerd
// serving the same hello in JavaScript joins the one-process rounds (BENCH_WORKERD=0 leaves it out).
import { once } from 'node:events'
import { request } from 'node:http'
import { availableParallelism } from 'node:os'
import autocannon from 'autocannon'
import { isMain, startTarget, printResult, round } from './util.js'
import { startWorkerd, workerdBinary, type WorkerdTarget } from './workerd.js'

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32)
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const WORKERS = Number(process.env.BENCH_WORKERS ?? availableParallelism())
const WITH_WORKERD = process.env.BENCH_WORKERD !== '0'

const startHttpTarget = (kind: 'jaegis' | 'bare', workers = 1) => startTarget('./http-target.js', [kind, String(workers)])

async function load(url: string): Promise<{ rps: number; p99: number; errors: number; non2xx: number }> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1 })
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx }
}

type Kind = 'jaegis' | 'bare' | 'workerd'
type Load = Awaited<ReturnType<typeof load>>

interface Comparison {
  jaegis: number
  bare: number
  jaegisP99: number
  bareP99: number
  /** Present when workerd ran in these rounds. */
  workerd?: number
  workerdP99?: number
  errors: number
}

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
}

function get(url: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('latin1')
      res.on('data', (d: string) => (body += d))
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
    }).on('error', reject).end()
  })
}

/**
 * Every peer must answer what jaegis answers (status, content type and length, body); workerd, which
 * runs hello's logic, with ?name= too (bare node:http answers fixed bytes). Framing headers (Date,
 * Connection, Keep-Alive) are the server's and only reported.
 */
async function checkSameAnswers(urls: Partial<Record<Kind, string>>): Promise<void> {
  for (const query of ['', '?name=bench']) {
    const peers = Object.entries(urls).filter(([k]) => query === '' || k !== 'bare')
    const answers = Object.fromEntries(await Promise.all(peers.map(async ([k, u]) => [k, await get(u + query)] as const)))
    const want = answers.jaegis
    for (const [kind, got] of Object.entries(answers)) {
      const same = got.status === want.status && got.body === want.body &&
        got.headers['content-type'] === want.headers['content-type'] && got.headers['content-length'] === want.headers['content-length']
      if (!same) throw new Error(`bench:http: ${kind} answers ${JSON.stringify(got)} where jaegis answers ${JSON.stringify(want)}`)
      if (query === '') process.stderr.write(`${kind} answers ${got.status} ${JSON.stringify(got.body)} with headers ${Object.keys(got.headers).join(', ')}\n`)
    }
  }
}

/** Alternating rounds of jaegis, bare (and workerd, with one process) with `workers` processes each. */
async function compare(workers: number): Promise<Comparison> {
  const targets = { jaegis: await startHttpTarget('jaegis', workers), bare: await startHttpTarget('bare', workers) }
  const urls: Partial<Record<Kind, string>> = { jaegis: `http://127.0.0.1:${targets.jaegis.port}/fn/hello`, bare: `http://127.0.0.1:${targets.bare.port}/fn/hello` }
  let workerd: WorkerdTarget | undefined
  try {
    if (workers === 1 && WITH_WORKERD) {
      workerd = await startWorkerd()
      urls.workerd = `http://127.0.0.1:${workerd.port}/fn/hello`
    }
    const kinds = Object.keys(urls) as Kind[]
    await checkSameAnswers(urls)
    // warm-up, then rotate the order every round
    for (const kind of kinds) await autocannon({ url: urls[kind]!, connections: CONNECTIONS, duration: 1 })
    const results: Partial<Record<Kind, Load[]>> = Object.fromEntries(kinds.map((k) => [k, []]))
    for (let i = 0; i < ROUNDS; i++) {
      for (const kind of [...kinds.slice(i % kinds.length), ...kinds.slice(0, i % kinds.length)]) {
        const r = await load(urls[kind]!)
        results[kind]!.push(r)
        process.stderr.write(`workers ${workers} round ${i + 1} ${kind}: ${Math.round(r.rps)} req/s, p99 ${r.p99} ms, errors ${r.errors}, non-2xx ${r.non2xx}\n`)
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length
    const rps = (k: Kind) => mean(results[k]!.map((r) => r.rps))
    const p99 = (k: Kind) => Math.max(...results[k]!.map((r) => r.p99))
    return {
      jaegis: rps('jaegis'),
      bare: rps('bare'),
      jaegisP99: p99('jaegis'),
      bareP99: p99('bare'),
      ...(workerd ? { workerd: rps('workerd'), workerdP99: p99('workerd') } : {}),
      errors: Object.values(results).flat().reduce((a, r) => a + r.errors + r.non2xx, 0),
    }
  } finally {
    for (const t of Object.values(targets)) {
      t.child.kill('SIGTERM')
      await once(t.child, 'exit').catch(() => {})
    }
    await workerd?.stop()
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const one = await compare(1)
  const many = WORKERS > 1 ? await compare(WORKERS) : undefined
  return {
    jaegis_rps: Math.round(one.jaegis),
    bare_rps: Math.round(one.bare),
    ratio: round(one.jaegis / one.bare, 3),
    jaegis_p99_ms: one.jaegisP99,
    bare_p99_ms: one.bareP99,
    ...(one.workerd !== undefined
      ? {
          workerd_rps: Math.round(one.workerd),
          ratio_vs_workerd: round(one.jaegis / one.workerd, 3),
          workerd_p99_ms: one.workerdP99,
          workerd_version: workerdBinary().version,
        }
      : {}),
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
