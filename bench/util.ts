// Helpers shared by the benchmarks: project paths, percentiles, the one-JSON-line result.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** The source repository root (the folder whose package.json declares the workspaces). */
export { projectRoot } from '@jaegis/kernels/wasm-path'

/** The p-th percentile (0..100) of `values`, nearest-rank. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

/** Rounds to `digits` significant decimals for printing. */
export function round(v: number, digits = 3): number {
  return Number.isFinite(v) ? Number(v.toFixed(digits)) : v
}

/** Prints the result as the last line of output: one JSON object. */
export function printResult(result: unknown): void {
  process.stdout.write(JSON.stringify(result) + '\n')
}

export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(url) === process.argv[1]
}

/**
 * Starts `script` (beside the benchmarks) with `args` in a process of its own (BENCH_TARGET_NODE_FLAGS:
 * extra node flags, e.g. --cpu-prof or --trace-gc); resolves on its "listening <port>" line. The
 * target's later output is copied to stderr (so that a flag's trace is seen and the pipe never fills).
 */
export async function startTarget(script: string, args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_TARGET_NODE_FLAGS ?? '').split(' ').filter(Boolean), fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let buf = ''
    let port = 0
    child.stdout!.on('data', (chunk) => {
      if (port) return void process.stderr.write(chunk)
      buf += String(chunk)
      const m = /listening (\d+)/.exec(buf)
      if (!m) return
      port = Number(m[1])
      const rest = buf.slice(buf.indexOf(m[0]) + m[0].length).replace(/^\n/, '')
      if (rest) process.stderr.write(rest)
      resolve({ child, port })
    })
    child.on('exit', () => { if (!port) reject(new Error(`${script} ${args.join(' ')} exited before listening`)) })
  })
}
