// bench:edge — edge sites (issue 17). Real processes (bench/edge-cluster.ts): a hub, one control plane,
// two sites (leaf nodes with their own JetStream domains) of two hosts each, in network namespaces where
// the machine allows it. Measures:
//   offline_requests / offline_errors  the hub stopped for JAEGIS_EDGE_OFFLINE_MS (default 60 s): one
//                                      sequential client per host and function the site holds; an error
//                                      is any answer but 200 (or none within 10 s)
//   catch_up_ms                        site a cut off (veth down, or its TCP link reset), a new version of
//                                      hello deployed meanwhile; from the link's return until every host
//                                      of site a answers with the new version
//   federated_cold_start_ratio / federated_memory_ratio
//                                      `jaegis sim --trace <shared Azure trace> --policy fixed --sites 3
//                                      --part test --json` (the held-out half; scheduler/federated.ts), as is
// Last line: one JSON object.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { helloVersion2, isHelloVersion2, startEdgeCluster } from './edge-cluster.js'
import { clusterView, deployThrough, get, until } from './cluster-processes.js'
import { printResult, projectRoot, round } from './util.js'

const OFFLINE_MS = Number(process.env.JAEGIS_EDGE_OFFLINE_MS ?? 60_000)
const HEARTBEAT_MS = 250
const ROOT = projectRoot()
const TRACE = join(ROOT, '..', 'shared', 'data', 'azure-functions', 'azure2019_100fn_per_minute.csv')
const echoBody = (url: string) => (url.includes('/fn/echo') ? '{"edge":1}' : undefined)

async function federated(): Promise<{ cold: number; memory: number }> {
  const { stdout } = await promisify(execFile)(process.execPath, [join(ROOT, 'bin', 'jaegis.js'), 'sim', '--trace', TRACE, '--policy', 'fixed', '--sites', '3', '--part', 'test', '--json'], { maxBuffer: 64 << 20, timeout: 1_800_000 })
  const f = (JSON.parse(stdout.trim().split('\n').at(-1)!) as { federated: { federated_cold_start_ratio: number; federated_memory_ratio: number } }).federated
  return { cold: f.federated_cold_start_ratio, memory: f.federated_memory_ratio }
}

async function main(): Promise<void> {
  const edge = await startEdgeCluster([{ name: 'a', hosts: 2 }, { name: 'b', hosts: 2, memoryMb: 24 }], HEARTBEAT_MS)
  console.error(`bench:edge: ${edge.mode}`)
  try {
    await until('4 site hosts registered', async () => ((await clusterView(edge.control)).hosts.length === 4 ? true : undefined), 30_000)
    await deployThrough(edge.control, join(ROOT, 'build', 'functions', 'hello'))
    await deployThrough(edge.control, join(ROOT, 'build', 'functions', 'echo'))
    // What each site holds: hello everywhere; echo at site a (site b's hosts have no room for it).
    const site = (n: string) => edge.sites.find((s) => s.name === n)!
    const targets = [...edge.hosts().map((h) => `${h.url}/fn/hello?name=edge`), ...site('a').hosts.map((h) => `${h.url}/fn/echo`)]
    for (const url of targets) await until(`${url} answers`, async () => ((await get(url, 5000, echoBody(url))).status === 200 ? true : undefined), 30_000)

    await edge.hub.stop()
    const statuses = new Map<string, number>()
    let requests = 0
    let stop = false
    const worker = async (url: string) => {
      while (!stop) {
        const r = await get(url, 10_000, echoBody(url))
        requests++
        if (r.status !== 200) statuses.set(String(r.status), (statuses.get(String(r.status)) ?? 0) + 1)
      }
    }
    const load = Promise.all(targets.map(worker))
    await new Promise((r) => setTimeout(r, Math.min(2_000, OFFLINE_MS / 2)))
    const t = Date.now()
    const cross = await get(`${site('b').hosts[0]!.url}/fn/echo`, 10_000, '{}')
    const crossMs = Date.now() - t
    await new Promise((r) => setTimeout(r, OFFLINE_MS - Math.min(2_000, OFFLINE_MS / 2)))
    stop = true
    await load
    const offlineErrors = [...statuses.values()].reduce((a, b) => a + b, 0)
    console.error(`hub down ${OFFLINE_MS} ms: ${requests} requests, ${offlineErrors} errors ${JSON.stringify(Object.fromEntries(statuses))}; cross-site request ${cross.status} in ${crossMs} ms`)
    await edge.hub.restart()
    await until('every host heard again', async () => {
      const v = await clusterView(edge.control)
      return v.hosts.length === 4 && v.hosts.every((h) => h.last_seen_ms_ago < 1000) ? true : undefined
    }, 30_000)

    const a = site('a')
    a.setLink(false)
    await until('site a reaped', async () => ((await clusterView(edge.control)).hosts.every((h) => edge.siteOf(h.id) !== 'a') ? true : undefined), 30_000)
    await deployThrough(edge.control, helloVersion2(ROOT))
    await until('site b serves hello v2', async () => (isHelloVersion2((await get(`${site('b').hosts[0]!.url}/fn/hello?n=27`)).body) ? true : undefined), 30_000)
    const back = Date.now()
    a.setLink(true)
    for (const h of a.hosts) await until(`${h.id} serves hello v2`, async () => (isHelloVersion2((await get(`${h.url}/fn/hello?n=27`)).body) ? true : undefined), 60_000, 20)
    const catchUpMs = Date.now() - back
    console.error(`site a served hello v2 ${catchUpMs} ms after its link returned`)
    await edge.destroy()

    const f = await federated()
    printResult({
      offline_requests: requests,
      offline_errors: offlineErrors,
      catch_up_ms: catchUpMs,
      federated_cold_start_ratio: f.cold,
      federated_memory_ratio: f.memory,
      offline_s: round(OFFLINE_MS / 1000, 1),
      cross_site_status: cross.status,
      cross_site_ms: crossMs,
      sites: 2,
      hosts_per_site: 2,
      network: edge.mode.startsWith('netns') ? 'netns' : 'loopback',
    })
  } finally {
    await edge.destroy()
  }
}

await main()
