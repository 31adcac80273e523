// A simulated fleet for bench:cluster: one process registering N hosts in the hosts bucket, publishing
// their heartbeats on the same subjects real hosts use (evenly spread over the interval), and taking
// the plans from the plan bucket. Deployments are written straight into the deployments bucket (the
// planner needs only the records). Driven over stdin/stdout by bench/cluster.ts:
//   stdout {"event":"steady",...}  after registration, once a plan was published after the last join
//   stdin  "lose"                  stops the heartbeats of 1 % of the hosts (those the plan uses first)
//   stdout {"event":"result",...}  once a plan names none of the lost hosts and the reaper removed them all
import { createInterface } from 'node:readline'
import { jetstream } from '@nats-io/jetstream'
import { Kvm } from '@nats-io/kv'
import { connectNats } from '@jaegis/server/jetstream/connect'
import { DEPLOYMENTS_BUCKET, HOSTS_BUCKET, PLAN_BUCKET, PLAN_KEY, heartbeatSubject } from '@jaegis/server/jetstream/names'
import { TIERS } from '@jaegis/scheduler'
import type { ClusterPlan, Heartbeat, HostRecord } from '@jaegis/server/fleet/records'
import type { Deployment } from '@jaegis/server/store/store'
import { mulberry32 } from '@jaegis/kernels/topology'

const [natsUrl, hostsArg, functionsArg, regionsArg, heartbeatArg] = process.argv.slice(2)
const HOSTS = Number(hostsArg ?? 10_000)
const FUNCTIONS = Number(functionsArg ?? 1_000)
const REGIONS = Number(regionsArg ?? 50)
const HEARTBEAT_MS = Number(heartbeatArg ?? 5_000)
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n')

const nc = await connectNats(natsUrl!, { name: 'jaegis-fleet-sim' })
const kvm = new Kvm(jetstream(nc))
const hostsKv = await kvm.create(HOSTS_BUCKET, { history: 1 })
const planKv = await kvm.create(PLAN_BUCKET, { history: 1 })
const deploymentsKv = await kvm.create(DEPLOYMENTS_BUCKET, { history: 5 })
const rnd = mulberry32(11)

// Deployments: records only (the hosts are simulated and load nothing).
const config = { name: 'x', limits: { memoryBytes: 32 << 20, timeoutMs: 1000, bodyBytes: 1 << 20, maxConcurrency: 64, maxQueue: 256 }, env: {}, pool: { minWarm: 0, maxWarm: 4 }, reuse: false, requireKey: false }
for (let i = 0; i < FUNCTIONS; i += 200) {
  await Promise.all(Array.from({ length: Math.min(200, FUNCTIONS - i) }, (_, k) => {
    const name = `sim-f${i + k}`
    const d: Deployment = { name, current: 1, versions: [{ version: 1, digest: (i + k).toString(16).padStart(64, '0'), deployedAt: new Date().toISOString(), config: { ...config, name } }] }
    return deploymentsKv.put(name, JSON.stringify(d))
  }))
}

// Hosts: registrations in the bucket, in batches.
const ids: string[] = []
const records = new Map<string, HostRecord>()
const t0 = Date.now()
for (let i = 0; i < HOSTS; i += 500) {
  const batch: Promise<number>[] = []
  for (let k = i; k < Math.min(HOSTS, i + 500); k++) {
    const id = `sim-h${k}`
    const r: HostRecord = { id, tier: TIERS[Math.floor(rnd() * TIERS.length)]!, region: `r${Math.floor(rnd() * REGIONS)}`, labels: [], memoryMb: 4096, url: `http://10.0.${k >> 8}.${k & 255}:8080`, startedAtMs: Date.now() }
    ids.push(id)
    records.set(id, r)
    batch.push(hostsKv.put(id, JSON.stringify(r)))
  }
  await Promise.all(batch)
}
const registeredAtMs = Date.now()

// Heartbeats: every host once per interval, spread over it in 20 slices.
const silent = new Set<string>()
const seq = new Map<string, number>()
const SLICES = 20
let slice = 0
const beat = () => {
  const now = Date.now()
  for (let k = slice; k < ids.length; k += SLICES) {
    const id = ids[k]!
    if (silent.has(id)) continue
    const s = (seq.get(id) ?? 0) + 1
    seq.set(id, s)
    const f = `sim-f${(k * 7) % FUNCTIONS}`
    const hb: Heartbeat = { id, seq: s, sentAtMs: now, inflight: 0, freeMemoryMb: 4096, loaded: {}, warm: {}, demand: { [f]: 1 + (k % 5) } }
    nc.publish(heartbeatSubject(id), JSON.stringify(hb))
  }
  slice = (slice + 1) % SLICES
}
const beater = setInterval(beat, HEARTBEAT_MS / SLICES)

// Plans: the newest, when it was seen.
let plan: ClusterPlan | undefined
let lastPlanFull: ClusterPlan | undefined
const plans: Array<{ plan: ClusterPlan; seenAtMs: number }> = []
const watch = await planKv.watch({ key: PLAN_KEY })
void (async () => {
  for await (const e of watch) {
    if (e.operation !== 'PUT') continue
    plan = e.json<ClusterPlan>()
    plans.push({ plan: { ...plan, functions: {} }, seenAtMs: Date.now() })
    if (plans.length > 50) plans.shift()
    lastPlanFull = plan
  }
})()

// Steady: a plan published after the last registration, and one heartbeat round since.
while (!(plan && plan.publishedAtMs > registeredAtMs && Date.now() - registeredAtMs > HEARTBEAT_MS)) await new Promise((r) => setTimeout(r, 100))
say({ event: 'steady', hosts: HOSTS, functions: FUNCTIONS, register_ms: registeredAtMs - t0, plan_epoch: plan.epoch })

const reaped = new Set<string>()
let lastReapSeenMs = 0
const hostsWatch = await hostsKv.watch({ include: 'updates' })
void (async () => {
  for await (const e of hostsWatch) {
    if (e.operation === 'PUT') continue
    reaped.add(e.key)
    lastReapSeenMs = Date.now()
  }
})()

for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'lose') continue
  // 1 %: the hosts the plan uses first (so that their functions must move), then any.
  const used = [...new Set(Object.values(lastPlanFull?.functions ?? {}).flatMap((f) => f.hosts))]
  const lost = [...used, ...ids.filter((i) => !used.includes(i))].slice(0, Math.ceil(HOSTS / 100))
  const lostAtMs = Date.now()
  for (const id of lost) silent.add(id)
  const lostSet = new Set(lost)
  const done = () => lost.every((id) => reaped.has(id)) && lastPlanFull !== undefined && lastPlanFull.publishedAtMs >= lastReapSeenMs - 5 && Object.values(lastPlanFull.functions).every((f) => !f.hosts.some((h) => lostSet.has(h)))
  while (!done()) await new Promise((r) => setTimeout(r, 20))
  const after = plans.filter((p) => p.plan.publishedAtMs >= lostAtMs && /lost/.test(p.plan.reason))
  const replanMs = after.map((p) => p.seenAtMs - p.plan.causeAtMs)
  say({ event: 'result', lost: lost.length, lost_used_by_plan: lost.filter((id) => used.includes(id)).length, reap_detect_ms: Date.now() - lostAtMs, replans: after.length, replan_ms_max: Math.max(0, ...replanMs), replan_ms_each: replanMs })
  break
}
clearInterval(beater)
watch.stop()
hostsWatch.stop()
await nc.drain()
process.exit(0)
