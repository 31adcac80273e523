// How long property-based tests run: a bounded number of cases inside `npm test`, many more under
// `npm run fuzz` (JAEGIS_FUZZ_RUNS multiplies every test's default). A failure prints fast-check's seed
// and path; rerun it with JAEGIS_FUZZ_SEED=<seed>.
import fc from 'fast-check'

const factor = Number(process.env.JAEGIS_FUZZ_RUNS ?? '1')

/** Runs for a property whose bounded default is `base`. */
export function FUZZ_RUNS(base: number): number {
  return Math.max(1, Math.round(base * (Number.isFinite(factor) && factor > 0 ? factor : 1)))
}

const seed = process.env.JAEGIS_FUZZ_SEED
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) })
