// npm run bench:kernels — the statevector, topology and forecast kernels against their peers, each
// in the same run; prints the merged result as one JSON line.
import { isMain, printResult } from './util.js'
import { run as forecast } from './kernels/forecast.js'
import { run as statevector } from './kernels/statevector.js'
import { run as topology } from './kernels/topology.js'

export async function run(): Promise<Record<string, number | null>> {
  const out: Record<string, number | null> = {}
  for (const [name, bench] of [['statevector', statevector], ['topology', topology], ['forecast', forecast]] as const) {
    process.stderr.write(`bench:kernels: ${name}...\n`)
    Object.assign(out, await bench())
  }
  return out
}

if (isMain(import.meta.url)) printResult(await run())
