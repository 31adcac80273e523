// `jaegis topo`: latency from one node of a GraphML network to every node, or a K-site placement.
// Thin: reading, searching and placing live in kernels/topology.
import { resolve } from 'node:path'
import { UsageError, type Command, type CommandContext } from '../command.js'
import { parse } from '../options.js'
import { ShortestPathEngine, loadTopology, placeFacilities, type Topology } from '@jaegis/kernels/topology'

const FROM_USAGE = 'usage: jaegis topo <file.graphml> --from <node id or label> [--json]'
const PLACE_USAGE = 'usage: jaegis topo <file.graphml> --place K [--json]'
const SYNOPSIS = `${FROM_USAGE}\n       ${PLACE_USAGE.slice('usage: '.length)}`
const USAGE = `${SYNOPSIS}

Link latency is the great-circle distance between node coordinates at the speed of light in
fibre (about 4.9 us/km); links touching a node without coordinates use --fallback-ms.

  --from NODE        print the latency from NODE (GraphML id, or label) to every node
  --place K          choose K sites (every node is a candidate and one unit of demand) and print
                     them with the demand-weighted mean latency
  --fallback-ms MS   latency of links without coordinates (default 1)
  --json             machine-readable output`

/** Infinity is not JSON: unreachable is null. */
const jsonMs = (ms: number): number | null => (Number.isFinite(ms) ? ms : null)
const fmtMs = (ms: number): string => (Number.isFinite(ms) ? `${ms.toFixed(3)} ms` : 'unreachable')

function nodeRef(t: Topology, i: number): { id: string; label: string | null } {
  return { id: t.nodes[i].id, label: t.nodes[i].label ?? null }
}

function printFrom(t: Topology, fromRef: string, json: boolean, ctx: CommandContext): void {
  const from = t.findNode(fromRef)
  const dist = new ShortestPathEngine(t.graph).singleSource(from)
  const order = t.nodes.map((n) => n.index).sort((a, b) => dist[a] - dist[b] || a - b)
  if (json) {
    ctx.line(JSON.stringify({ network: t.name, from: nodeRef(t, from), nodes: order.map((i) => ({ ...nodeRef(t, i), latencyMs: jsonMs(dist[i]) })), warnings: t.warnings }))
    return
  }
  ctx.line(`${t.name}: one-way latency from ${t.nodeName(from)} (id ${t.nodes[from].id}) to ${t.nodes.length} nodes`)
  for (const i of order) ctx.line(`${fmtMs(dist[i]).padStart(12)}  ${t.nodeName(i)} (id ${t.nodes[i].id})`)
}

function printPlacement(t: Topology, k: number, json: boolean, ctx: CommandContext): void {
  const all = t.nodes.map((n) => n.index)
  const r = placeFacilities({ graph: t.graph, demandNodes: all, siteNodes: all, k, directed: t.directed })
  const served = new Map<number, number>()
  for (const s of r.assignment) if (s >= 0) served.set(s, (served.get(s) ?? 0) + 1)
  if (json) {
    ctx.line(
      JSON.stringify({
        network: t.name,
        k,
        meanLatencyMs: jsonMs(r.meanLatencyMs),
        unservedNodes: r.assignment.filter((s) => s < 0).length,
        sites: r.sites.map((s) => ({ ...nodeRef(t, s), servedNodes: served.get(s) ?? 0 })),
        assignment: Object.fromEntries(all.map((i) => [t.nodes[i].id, r.assignment[i] >= 0 ? t.nodes[r.assignment[i]].id : null])),
        warnings: t.warnings,
      }),
    )
    return
  }
  ctx.line(`${t.name}: ${k} site(s) for ${all.length} demand nodes, demand-weighted mean latency ${fmtMs(r.meanLatencyMs)}`)
  for (const s of r.sites) ctx.line(`  ${t.nodeName(s)} (id ${t.nodes[s].id}) serves ${served.get(s) ?? 0} node(s)`)
  const unserved = r.assignment.filter((s) => s < 0).length
  if (unserved) ctx.line(`  ${unserved} node(s) cannot reach any site`)
}

export const command: Command = {
  name: 'topo',
  summary: 'latencies and site placement on a network topology (GraphML)',
  usage: USAGE,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { from: { type: 'string' }, place: { type: 'string' }, 'fallback-ms': { type: 'string' } })
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <file.graphml>' : `expected one file, got ${positionals.length}`, SYNOPSIS)
    if ((values.from === undefined) === (values.place === undefined)) throw new UsageError('give exactly one of --from <node> or --place K', SYNOPSIS)
    let fallbackLinkLatencyMs: number | undefined
    if (values['fallback-ms'] !== undefined) {
      fallbackLinkLatencyMs = Number(values['fallback-ms'])
      if (!Number.isFinite(fallbackLinkLatencyMs) || fallbackLinkLatencyMs < 0) throw new UsageError(`--fallback-ms must be a number >= 0, got ${JSON.stringify(values['fallback-ms'])}`)
    }
    // Every flag is checked before the file is read; only K against the node count has to wait for it.
    const k = values.place === undefined ? 0 : Number(values.place)
    if (values.place !== undefined && (!Number.isInteger(k) || k < 1)) throw new UsageError(`--place needs a positive integer, got ${JSON.stringify(values.place)}`, PLACE_USAGE)
    if (values.from !== undefined && values.from.trim() === '') throw new UsageError('--from needs a node id or label', FROM_USAGE)
    const t = await loadTopology(resolve(ctx.cwd, positionals[0]), { fallbackLinkLatencyMs })
    if (!values.json) for (const w of t.warnings) ctx.errLine(`note: ${w}`)
    if (values.from !== undefined) {
      printFrom(t, values.from, values.json === true, ctx)
    } else {
      if (k > t.nodes.length) throw new UsageError(`--place ${k} but ${t.name} has only ${t.nodes.length} nodes`, PLACE_USAGE)
      printPlacement(t, k, values.json === true, ctx)
    }
    return 0
  },
}
