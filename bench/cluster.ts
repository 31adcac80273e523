// bench:cluster. Real processes on loopback: nats-server (JetStream), two control planes, three hosts.
// 1. Transport: NATS request/reply against undici's pooled keep-alive HTTP, same payload, same process.
// 2. An invocation run locally on a placed host against one forwarded by an unplaced host (interleaved).
// 3. SIGKILL a placed host under forwarded load: how long until it is re-placed and serving, how many fail.
// 4. SIGKILL the leading control plane: how long until the standby leads.
// 5. A simulated fleet of 10,000 hosts heartbeating every 5 s to a control plane of its own: its CPU, and
//    how long re-planning takes after 1 % of the hosts are lost.
// Last line: one JSON object (the keys of issue 14 plus details).
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Pool } from 'undici'
import { startNatsServer, type NatsServerProcess } from './nats-server.js'
import { clusterView, deployThrough, get, startControl, startHost, until, type JaegisProcess } from './cluster-processes.js'
import { percentile, printResult, projectRoot, round } from './util.js'
import { connectNats } from '@jaegis/server/jetstream/connect'

const log = (m: string) => process.stderr.write(`bench:cluster: ${m}\n`)
const ROUNDS = Number(process.env.BENCH_CLUSTER_ROUNDS ?? 3000)
const SIM_HOSTS = Number(process.env.BENCH_SIM_HOSTS ?? 10_000)
const SIM_FUNCTIONS = Number(process.env.BENCH_SIM_FUNCTIONS ?? 1_000)
const SIM_HEARTBEAT_MS = 5_000
const CPU_WINDOW_MS = 15_000

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (100 Hz on Linux)
}

async function transport(nats: NatsServerProcess): Promise<{ nats_reqreply_p50_ms: number; undici_http_p50_ms: number }> {
  const payload = Buffer.alloc(200, 120)
  const nc = await connectNats(nats.url)
  nc.subscribe('bench.echo', { callback: (_e, m) => void m.respond(m.data) })
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => res.end(Buffer.concat(chunks)))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const pool = new Pool(`http://127.0.0.1:${(server.address() as { port: number }).port}`, { connections: 4 })
  const natsMs: number[] = []
  const httpMs: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now()
    await nc.request('bench.echo', payload, { timeout: 2000 })
    natsMs.push(performance.now() - t)
    t = performance.now()
    const r = await pool.request({ path: '/', method: 'POST', body: payload })
    await r.body.arrayBuffer()
    httpMs.push(performance.now() - t)
  }
  await pool.close()
  server.close()
  await nc.close()
  return { nats_reqreply_p50_ms: round(percentile(natsMs, 50), 3), undici_http_p50_ms: round(percentile(httpMs, 50), 3) }
}

async function realCluster(nats: NatsServerProcess) {
  const procs: JaegisProcess[] = []
  try {
    const c1 = await startControl('c1', nats.url)
    procs.push(c1)
    const [c2, ...hosts] = await Promise.all([startControl('c2', nats.url), startHost('h1', nats.url, 'west'), startHost('h2', nats.url, 'west'), startHost('h3', nats.url, 'west')])
    procs.push(c2!, ...hosts)
    const byId = (id: string) => hosts.find((h) => h.id === id)!
    await until('3 hosts registered', async () => ((await clusterView(c1)).hosts.length === 3 ? true : undefined))
    await deployThrough(c1, join(projectRoot(), 'build', 'functions', 'hello'))
    const placedAndServing = (view: { plan: { functions: Record<string, { hosts: string[] }> } | null }, avoid?: string) => async () => {
      const hs = view.plan?.functions.hello?.hosts
      if (!hs || hs.length < 2 || (avoid && hs.includes(avoid))) return undefined
      for (const id of hs) if ((await get(`${byId(id).url}/fn/hello?name=b`)).servedBy !== id) return undefined
      return hs
    }
    const placed = await until('hello placed and loaded', async () => placedAndServing(await clusterView(c1))())
    const local = byId(placed[0]!)
    const unplaced = hosts.find((h) => !placed.includes(h.id))!
    log(`hello on ${placed.join(', ')}; ${unplaced.id} forwards`)

    // 2. Local against forwarded, interleaved, one request at a time over keep-alive connections.
    const localPool = new Pool(local.url, { connections: 1 })
    const fwdPool = new Pool(unplaced.url, { connections: 1 })
    const localMs: number[] = []
    const fwdMs: number[] = []
    const once = async (pool: Pool) => {
      const t = performance.now()
      const r = await pool.request({ path: '/fn/hello?name=b', method: 'GET' })
      await r.body.arrayBuffer()
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`)
      return performance.now() - t
    }
    for (let i = 0; i < 200; i++) await Promise.all([once(localPool), once(fwdPool)]) // warm-up
    for (let i = 0; i < ROUNDS; i++) {
      localMs.push(await once(localPool))
      fwdMs.push(await once(fwdPool))
    }
    await localPool.close()
    await fwdPool.close()

    // 3. SIGKILL the placed host the unplaced one forwards to, under load through the unplaced host.
    const victim = byId(placed[0]!)
    const results: Array<{ atMs: number; status: number | string; ms: number }> = []
    let stop = false
    const worker = async () => {
      while (!stop) {
        const atMs = Date.now()
        const r = await get(`${unplaced.url}/fn/hello?name=load`, 5000)
        results.push({ atMs, status: r.status, ms: Date.now() - atMs })
      }
    }
    const load = Promise.all(Array.from({ length: 8 }, worker))
    await new Promise((r) => setTimeout(r, 500))
    const killedAt = Date.now()
    await victim.kill('SIGKILL')
    const leader = (await clusterView(c1)).leader ? c1 : c2!
    await until('hello re-placed and serving', async () => placedAndServing(await clusterView(leader), victim.id)(), 20_000, 10)
    const replaceMs = Date.now() - killedAt
    const replanned = (await clusterView(leader)).plan!
    await new Promise((r) => setTimeout(r, 1000))
    stop = true
    await load
    const during = results.filter((r) => r.atMs >= killedAt - 100)
    const failed = during.filter((r) => r.status !== 200)
    log(`host loss: ${replanned.reason}: noticed ${replanned.causeAtMs - killedAt} ms after the kill, plan published at ${replanned.publishedAtMs - killedAt} ms; serving on the new host at ${replaceMs} ms; ${failed.length} of ${during.length} requests failed; slowest ${Math.max(...during.map((r) => r.ms))} ms`)

    // 4. SIGKILL the leading control plane; the standby leads after the lease (default 3000 ms).
    const standby = leader === c1 ? c2! : c1
    const failAt = Date.now()
    await leader.kill('SIGKILL')
    await until('the standby leads', async () => ((await clusterView(standby)).leader ? true : undefined), 20_000)
    const failoverMs = Date.now() - failAt
    const names = ((await (await fetch(`${standby.url}/_api/v1/functions`, { headers: { authorization: 'Bearer jgs_fleet-test-token' } })).json()) as { functions: Array<{ name: string }> }).functions.map((f) => f.name)
    log(`leader failover in ${failoverMs} ms; deployments after: ${names.join(', ')}`)
    return {
      local_p50_ms: round(percentile(localMs, 50), 3),
      forward_p50_ms: round(percentile(fwdMs, 50), 3),
      forward_p99_ms: round(percentile(fwdMs, 99), 3),
      local_p99_ms: round(percentile(localMs, 99), 3),
      replace_after_host_loss_ms: replaceMs,
      replan_after_host_loss_ms: replanned.publishedAtMs - killedAt,
      requests_failed_during_host_loss: failed.length,
      requests_during_host_loss: during.length,
      slowest_request_during_host_loss_ms: Math.max(...during.map((r) => r.ms)),
      leader_failover_ms: failoverMs,
      deployments_after_failover: names.length,
      hosts: 3,
    }
  } finally {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')))
  }
}

async function simulatedFleet() {
  const nats = await startNatsServer()
  const procs: JaegisProcess[] = []
  try {
    const control = await startControl('sim-control', nats.url, ['--heartbeat-ms', String(SIM_HEARTBEAT_MS)])
    procs.push(control)
    const sim = spawn(process.execPath, [fileURLToPath(new URL('./fleet-sim.js', import.meta.url)), nats.url, String(SIM_HOSTS), String(SIM_FUNCTIONS), '50', String(SIM_HEARTBEAT_MS)], { stdio: ['pipe', 'pipe', 'inherit'] })
    const lines = createInterface({ input: sim.stdout! })[Symbol.asyncIterator]()
    const next = async () => JSON.parse(((await lines.next()).value as string) ?? '{}') as Record<string, unknown>
    const steady = await next()
    log(`simulated fleet steady: ${JSON.stringify(steady)}`)
    const cpu0 = cpuSeconds(control.child.pid!)
    const simCpu0 = cpuSeconds(sim.pid!)
    const t0 = Date.now()
    await new Promise((r) => setTimeout(r, CPU_WINDOW_MS))
    const controlCpuPct = (100 * (cpuSeconds(control.child.pid!) - cpu0)) / ((Date.now() - t0) / 1000)
    const simCpuPct = (100 * (cpuSeconds(sim.pid!) - simCpu0)) / ((Date.now() - t0) / 1000)
    const view = await clusterView(control)
    log(`control CPU at ${view.hosts.length} heartbeating hosts: ${controlCpuPct.toFixed(1)} % of a core (the simulator: ${simCpuPct.toFixed(1)} %)`)
    sim.stdin!.write('lose\n')
    const result = await next()
    log(`after losing 1 %: ${JSON.stringify(result)}`)
    sim.kill('SIGKILL')
    return {
      sim_hosts: view.hosts.length,
      sim_functions: SIM_FUNCTIONS,
      sim_heartbeat_ms: SIM_HEARTBEAT_MS,
      sim_replan_ms: result.replan_ms_max as number,
      sim_replans_after_loss: result.replans,
      sim_lost_hosts: result.lost,
      sim_lost_hosts_used_by_plan: result.lost_used_by_plan,
      sim_reap_detect_ms: result.reap_detect_ms,
      control_cpu_pct: round(controlCpuPct, 1),
      sim_process_cpu_pct: round(simCpuPct, 1),
    }
  } finally {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')))
    await nats.destroy()
  }
}

const nats = await startNatsServer()
let result: Record<string, unknown> = {}
try {
  const t = await transport(nats)
  log(`transport p50: NATS request/reply ${t.nats_reqreply_p50_ms} ms, undici HTTP ${t.undici_http_p50_ms} ms`)
  result = { ...(await realCluster(nats)), ...t }
} finally {
  await nats.destroy()
}
result = { ...result, ...(await simulatedFleet()), load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ') }
printResult(result)
process.exit(0)
