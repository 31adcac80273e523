// `jaegis sim`: replays a function trace over a simulated fleet under the autoscaling policies and reports
// cold starts, idle warm memory and added start latency (table or one JSON line), optionally a trade-off plot.
import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { UsageError, type Command } from '../command.js'
import { Topology } from '@jaegis/kernels/topology'
import {
  fleetFromGraphML, loadTrace, splitTrace, trimTrace, placeTrace, POLICY_NAMES, runFederated, runPolicies, summarize, sweepPolicies, syntheticFleet,
  syntheticNetworkGraphML, traceInvocations, tradeoffSvg, type Fleet, type PolicyName, type SimOptions,
} from '@jaegis/scheduler'

const USAGE = `jaegis sim --trace <file> [options]

Replays an Azure Functions trace (2019 per-minute, its HashFunction-first variant, or 2021 per-invocation)
under the autoscaling policies and reports cold-start rate, wasted memory and p99 added start latency.

Options:
  --trace <file>          trace CSV (required)
  --policy <name>         fixed | histogram | predictive | all (default: all)
  --fleet <file.graphml>  place the trace's functions on hosts spread over this network
  --hosts <N>             hosts in the fleet (default 100 with --fleet; alone: a synthetic network)
  --json                  print one JSON line: {"trace":..,"policies":{..},"placement":{..}}
  --plot <out.svg>        sweep each policy's main knob and write cold starts vs wasted memory
  --duration-ms <ms>      invocation duration for per-minute traces (default 1000)
  --memory-mb <MiB>       memory of one instance (default 128)
  --cold-start-ms <ms>    added latency of a cold start (default 40)
  --seed <n>              seed for spreading per-minute counts (default 0)
  --minutes <n>           replay only the first n minutes
  --sites <N>             also split the trace's invocations over N sites and compare the predictive policy
                          with forecasts fitted centrally on the raw series against forecasts fitted at each
                          site and combined from their summaries (JSON key "federated")
  --part tune|test        replay only the even-hash (tune) or odd-hash (test) half of the functions`

function num(v: string | undefined, flag: string, min: number, integer = false): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new UsageError(`${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${JSON.stringify(v)}`)
  return n
}

export const command: Command = {
  name: 'sim',
  summary: 'replay a function trace under the autoscaling policies and compare them',
  usage: USAGE,
  async run(argv, ctx) {
    let values
    try {
      ;({ values } = parseArgs({
        args: argv,
        options: {
          trace: { type: 'string' }, policy: { type: 'string' }, fleet: { type: 'string' }, hosts: { type: 'string' },
          json: { type: 'boolean' }, plot: { type: 'string' }, 'duration-ms': { type: 'string' }, 'memory-mb': { type: 'string' },
          'cold-start-ms': { type: 'string' }, seed: { type: 'string' }, minutes: { type: 'string' }, sites: { type: 'string' }, part: { type: 'string' }, help: { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      }))
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    if (values.help) {
      ctx.line(USAGE)
      return 0
    }
    if (!values.trace) throw new UsageError('--trace <file> is required')
    const policy = values.policy ?? 'all'
    if (policy !== 'all' && !(POLICY_NAMES as readonly string[]).includes(policy)) throw new UsageError(`--policy must be one of ${POLICY_NAMES.join(', ')}, all; got ${JSON.stringify(policy)}`)
    const names: PolicyName[] = policy === 'all' ? [...POLICY_NAMES] : [policy as PolicyName]
    const hosts = num(values.hosts, '--hosts', 1, true)
    const minutes = num(values.minutes, '--minutes', 1, true)
    const sites = num(values.sites, '--sites', 1, true)
    const o: SimOptions = {
      defaultDurationMs: num(values['duration-ms'], '--duration-ms', 0),
      memoryMb: num(values['memory-mb'], '--memory-mb', 1),
      coldStartMs: num(values['cold-start-ms'], '--cold-start-ms', 0),
      seed: num(values.seed, '--seed', 0, true),
    }
    const trace = await loadTrace(resolve(ctx.cwd, values.trace))
    if (minutes !== undefined) trimTrace(trace, minutes)
    if (values.part !== undefined && values.part !== 'tune' && values.part !== 'test') throw new UsageError(`--part must be tune or test, got ${JSON.stringify(values.part)}`)
    const replayed = values.part ? splitTrace(trace, values.part) : trace
    const reports = runPolicies(replayed, names, o)
    const policies: Record<string, ReturnType<typeof summarize>> = {}
    for (const n of names) policies[n] = summarize(reports[n])

    let fleet: Fleet | undefined
    if (values.fleet) fleet = await fleetFromGraphML(resolve(ctx.cwd, values.fleet), { hosts: hosts ?? 100 })
    else if (hosts !== undefined) fleet = syntheticFleet(Topology.fromGraphML(syntheticNetworkGraphML(Math.max(4, Math.ceil(hosts / 50))), { source: 'synthetic' }), { hosts })
    const placement = fleet ? placeTrace(replayed, fleet, o) : undefined

    const federated = sites !== undefined ? runFederated(replayed, sites, o) : undefined

    let plotNote: string | undefined
    if (values.plot) {
      const series = sweepPolicies(replayed, names, o)
      const out = resolve(ctx.cwd, values.plot)
      await writeFile(out, tradeoffSvg(series, `Cold starts vs idle warm memory: ${replayed.functions.length} functions, ${trace.minutes} min`))
      plotNote = out
    }

    const traceInfo = { file: values.trace, format: trace.format, functions: replayed.functions.length, minutes: trace.minutes, invocations: traceInvocations(replayed), ...(values.part ? { part: values.part } : {}) }
    if (values.json) {
      ctx.line(JSON.stringify({ trace: traceInfo, policies, ...(placement ? { placement } : {}), ...(federated ? { federated } : {}), ...(plotNote ? { plot: plotNote } : {}) }))
      return 0
    }
    ctx.line(`trace ${values.trace}: ${trace.format}, ${traceInfo.functions} functions, ${traceInfo.minutes} min, ${traceInfo.invocations} invocations`)
    const rows = [['policy', 'knob', 'cold starts', 'cold %', 'wasted GB-s', 'p99 added ms']]
    for (const n of names) {
      const p = policies[n]
      rows.push([n, p.knob, String(p.cold_starts), p.cold_start_pct.toFixed(2), p.wasted_gb_s.toFixed(0), String(p.p99_added_start_ms)])
    }
    const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)))
    for (const r of rows) ctx.line(r.map((cell, c) => (c === 0 || c === 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))
    if (placement) {
      ctx.line(`placement on ${placement.hosts} hosts over ${placement.regions} regions (${placement.network}): ${placement.placed_instances} instances placed, ${placement.unplaced_instances} unplaced, ` +
        `mean latency ${placement.mean_latency_ms} ms, plan ${placement.plan_ms} ms, re-plan after losing the busiest host ${placement.replan_ms_one_host_lost} ms (${placement.moved_on_replan} moved)`)
    }
    if (federated) {
      const f = federated
      ctx.line(`federated over ${f.sites} sites (predictive): central ${f.central.cold_starts} cold starts / ${f.central.wasted_gb_s.toFixed(0)} GB-s, ` +
        `federated ${f.federated.cold_starts} / ${f.federated.wasted_gb_s.toFixed(0)} GB-s; ratios cold ${f.federated_cold_start_ratio}, memory ${f.federated_memory_ratio} (goal <= 1.05); ` +
        `${f.shipped_summaries} site summaries shipped, ${f.shipped_bytes} bytes`)
    }
    if (plotNote) ctx.line(`wrote ${plotNote}`)
    return 0
  },
}
