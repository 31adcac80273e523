// Seeded synthetic placement workloads (functions with regional demand) for benchmarks and tests: the same
// seed gives the same functions on every machine.
import { mulberry32 } from '@jaegis/kernels/topology'
import type { Fleet } from './fleet.js'
import type { FunctionDemand } from './placer.js'

export interface WorkloadOptions {
  functions: number
  /** @default 7 */
  seed?: number
}

/**
 * Functions with demand in 1-3 regions (regions drawn with a Zipf-like skew, so some are hot), 1-4
 * instances of 128/256/512 MiB, 5% requiring the `gpu` label and 20% kept off edge-1.
 */
export function syntheticWorkload(fleet: Fleet, o: WorkloadOptions): FunctionDemand[] {
  const rnd = mulberry32(o.seed ?? 7)
  const R = fleet.regions.length
  const pickRegion = () => fleet.regions[Math.min(R - 1, Math.floor(R * rnd() ** 2))]
  const out: FunctionDemand[] = []
  for (let i = 0; i < o.functions; i++) {
    const demand: Record<string, number> = {}
    const regions = 1 + Math.floor(rnd() * 3)
    for (let j = 0; j < regions; j++) demand[pickRegion()] = (demand[pickRegion()] ?? 0) + Math.round(1 + 100 * rnd() ** 3)
    const u = rnd()
    const gpu = rnd() < 0.05
    out.push({
      id: `f${i}`,
      demand,
      instances: 1 + Math.floor(rnd() * 4),
      memoryMb: u < 0.5 ? 128 : u < 0.85 ? 256 : 512,
      cpuMilli: 100,
      requiredLabels: gpu ? ['gpu'] : undefined,
      allowedTiers: rnd() < 0.2 ? ['edge-2', 'edge-3', 'cloud'] : undefined,
    })
  }
  return out
}
