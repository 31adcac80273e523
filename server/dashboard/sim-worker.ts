// Runs one trade-off sweep (every policy over its knob) in a worker thread, so that the simulator
// never holds up requests; sim.ts starts it, bounds its time and caches the answer.
import { parentPort, workerData } from 'node:worker_threads'
import { parseTrace, POLICY_NAMES, sweepPolicies, traceInvocations, tradeoffSvg, trimTrace } from '@jaegis/scheduler'

const { text, source, maxMinutes } = workerData as { text: string; source: string; maxMinutes: number }
try {
  const trace = trimTrace(parseTrace(text, source), maxMinutes)
  const series = sweepPolicies(trace, POLICY_NAMES)
  const info = { source, format: trace.format, functions: trace.functions.length, minutes: trace.minutes, invocations: traceInvocations(trace) }
  const svg = tradeoffSvg(series, `Cold starts vs idle warm memory: ${info.functions} functions, ${info.minutes} min`)
  parentPort!.postMessage({ ok: true, result: { trace: info, series, svg } })
} catch (err) {
  parentPort!.postMessage({ ok: false, message: (err as Error).message })
}
