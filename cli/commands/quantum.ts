// `jaegis quantum <file.qasm>`: simulates an OpenQASM 2.0 circuit with the statevector kernel and prints
// the most likely outcomes (or seeded shot counts) and the time taken. The kernel does the work.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type Command, type CommandContext } from '../command.js'
import { parse } from '../options.js'
import { UsageError } from '../command.js'
import { QasmError, simulateQasm, type SimulationResult } from '@jaegis/kernels/statevector'

const USAGE = `Usage: jaegis quantum <file.qasm> [--shots N] [--seed S] [--top K] [--json]

Simulates an OpenQASM 2.0 circuit (up to 26 qubits) and prints the K most likely basis states
(qubit 0 rightmost), or with --shots the N sampled outcomes over the classical bits, and the time.

  --shots N   sample N shots (seeded, deterministic) and print the top K counts
  --seed S    seed of the sampler and of mid-circuit measurements (default 1)
  --top K     how many outcomes to print (default 10)
  --json      print the result as one JSON object`

function intFlag(name: string, value: string | undefined, def: number): number {
  if (value === undefined) return def
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a non-negative integer, got "${value}"`)
  return Number(value)
}

/** Counts, most frequent first (object key order cannot be trusted: integer-like keys sort numerically). */
function topCounts(counts: Record<string, number>, k: number): [string, number][] {
  return Object.entries(counts).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, k)
}

function printText(file: string, r: SimulationResult, topK: number, ctx: CommandContext): void {
  ctx.line(`${file}: ${r.numQubits} qubits, ${r.gates} gates, ${r.passes} pass${r.passes === 1 ? '' : 'es'} over the state; parsed in ${r.parseMs.toFixed(1)} ms, simulated in ${r.simulateMs.toFixed(1)} ms`)
  if (r.counts) {
    ctx.line(`top ${Math.min(topK, Object.keys(r.counts).length)} of ${r.shots} shots (seed ${r.seed}):`)
    for (const [bits, count] of topCounts(r.counts, topK)) ctx.line(`  ${bits}  ${String(count).padStart(String(r.shots).length)}  ${(count / r.shots).toFixed(4)}`)
    return
  }
  ctx.line(`most likely ${r.top.length} basis states:`)
  for (const o of r.top) ctx.line(`  ${o.bitstring}  ${o.probability.toFixed(6)}`)
}

/** The `quantum` command. */
export const command: Command = {
  name: 'quantum',
  summary: 'simulate an OpenQASM 2.0 circuit (statevector, up to 26 qubits)',
  usage: USAGE,
  async run(argv: string[], ctx: CommandContext): Promise<number> {
    const { values, positionals } = parse(argv, { shots: { type: 'string' }, seed: { type: 'string' }, top: { type: 'string' } })
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing <file.qasm>' : `expected one file, got ${positionals.length}`)
    const shots = intFlag('shots', values.shots, 0)
    const seed = intFlag('seed', values.seed, 1)
    const topK = intFlag('top', values.top, 10)
    if (seed > 0xffffffff) throw new UsageError(`--seed must be below 2^32, got ${seed}`)
    const file = positionals[0]
    let source: string
    try {
      source = await readFile(resolve(ctx.cwd, file), 'utf8')
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
    }
    let result: SimulationResult
    try {
      result = simulateQasm(source, { shots, seed, topK })
    } catch (err) {
      if (err instanceof QasmError) throw new Error(`${file}: ${err.message}`, { cause: err })
      throw err
    }
    if (values.json) {
      if (result.counts) result.counts = Object.fromEntries(topCounts(result.counts, Math.max(topK, 1)))
      ctx.line(JSON.stringify({ file, ...result }))
    } else printText(file, result, topK, ctx)
    return 0
  },
}
