// Runs trade-off sweeps (every policy over its knob) on a thread of its own, so that the simulator
// never holds up requests; sim.ts calls it (through the runtime's OffThread: the thread is started
// by the spawner, not the gateway thread), bounds its time and caches the answer.
import { serveOffThread, JaegisError } from '@jaegis/runtime'
import { parseTrace, POLICY_NAMES, sweepPolicies, traceInvocations, tradeoffSvg, trimTrace } from '@jaegis/scheduler'

serveOffThread({
  sweep({ text, source, maxMinutes }: { text: string; source: string; maxMinutes: number }) {
    let trace
    try {
      trace = trimTrace(parseTrace(text, source), maxMinutes)
    } catch (err) {
      throw new JaegisError('BAD_REQUEST', (err as Error).message)
    }
    const series = sweepPolicies(trace, POLICY_NAMES)
    const info = { source, format: trace.format, functions: trace.functions.length, minutes: trace.minutes, invocations: traceInvocations(trace) }
    const svg = tradeoffSvg(series, `Cold starts vs idle warm memory: ${info.functions} functions, ${info.minutes} min`)
    return { trace: info, series, svg }
  },
})
