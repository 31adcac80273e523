// ML-DSA-65 from @noble/post-quantum, loaded on first use: importing it costs tens of milliseconds
// (over 100 on a busy machine), which processes that never sign or verify (lane threads, most CLI
// commands, runtimes that only load unsigned artifacts) should not pay at start-up.
import { createRequire } from 'node:module'
import { JaegisError } from '../errors.js'

type MlDsa65 = (typeof import('@noble/post-quantum/ml-dsa.js'))['ml_dsa65']
let loaded: MlDsa65 | undefined

/** The ML-DSA-65 implementation. Synchronous (signature checks sit on synchronous load paths): it requires an ES module, which Node does from 20.19. */
export function mlDsa65(): MlDsa65 {
  if (loaded) return loaded
  try {
    loaded = (createRequire(import.meta.url)('@noble/post-quantum/ml-dsa.js') as typeof import('@noble/post-quantum/ml-dsa.js')).ml_dsa65
  } catch (err) {
    throw new JaegisError('INTERNAL', `cannot load ML-DSA (@noble/post-quantum): signatures need Node 20.19 or later (${(err as Error).message})`, { cause: err, expose: false })
  }
  return loaded
}
