// A JavaScript component (an engine of ~10 MB inside) that can do no I/O and keeps its instance (`reuse`)
// runs on the gateway thread once proven short, like the small components: its instances are made and
// warmed up off the request path, a stopped attempt is re-run in a lane and its instance dropped, and a
// function that keeps losing instances there goes back to lanes for good.
import { cpSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, LANE_POLICY, type Artifact, type Runtime } from '../runtime/index.js'
import { inlineEligible } from '../runtime/lanes/policy.js'
import { buildComponentArtifact, buildComponentFunction } from '../compiler/component/index.js'
import { FIXTURES, compileCHttpComponent, testConfig, text, wasiClangMissing } from './components-helpers.js'

let kitchen: Artifact
let runtime: Runtime | undefined
afterEach(() => {
  runtime?.close()
  runtime = undefined
})

beforeAll(async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'jaegis-js-inline-')), 'kitchen')
  cpSync(join(FIXTURES, 'js-kitchen'), dir, { recursive: true })
  kitchen = (await buildComponentFunction(dir)).artifact
}, 600_000)

/** The kitchen fixture without its capabilities (outbound hosts, a mapped folder), named `name`, with `timeoutMs`. */
function noIo(name: string, timeoutMs: number): Artifact {
  const c = kitchen.meta.component!
  return { ...kitchen, meta: { ...kitchen.meta, config: { ...kitchen.meta.config, name, limits: { ...kitchen.meta.config.limits, timeoutMs } }, component: { ...c, allowedOutboundHosts: [], files: [] } } }
}

/** Dispatches `path` until an answer comes back on this thread: the lane runs it took, or -1 when none did. */
async function lanesUntilInline(rt: Runtime, name: string, path = '/echo'): Promise<number> {
  for (let i = 0; i < 10 * LANE_POLICY.shortProofRuns; i++) {
    const r = rt.dispatch(name, { path })
    if (!(r instanceof Promise)) return i
    await r
  }
  return -1
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

describe('a JavaScript component on the gateway thread', () => {
  it('is eligible with reuse and no I/O only, whatever its memory', () => {
    const fresh = noIo('k', 10_000)
    expect(kitchen.meta.component!.initialMemoryBytes!).toBeGreaterThan(LANE_POLICY.inlineComponentMemoryBytes)
    expect([inlineEligible(fresh.meta), inlineEligible(kitchen.meta), inlineEligible({ ...fresh.meta, config: { ...fresh.meta.config, reuse: false } })]).toEqual([true, false, false])
  })

  it('proves short in lanes, then answers on the calling thread from one instance that keeps its state', async () => {
    runtime = createRuntime({ lanes: { minLanes: 1 } })
    runtime.load(noIo('js', 10_000))
    expect(await lanesUntilInline(runtime, 'js')).toBeGreaterThanOrEqual(0)
    const counts: number[] = []
    for (let i = 0; i < 3; i++) {
      const r = runtime.dispatch('js', { path: '/count' })
      // Inline unless this machine's load stopped an attempt at its slice (then a lane answered).
      if (r instanceof Promise) return void (await r)
      counts.push(Number(text(r.body)))
    }
    // The warm-up request the instance answered before it served (GET /) was reset away: this instance
    // counts from 1 (the lanes' instances count on their own).
    expect(counts).toEqual([1, 2, 3])
  })

  it('re-runs a stopped attempt in a lane and drops its instance; after losing inlineLostInstances of them it stays in lanes', async () => {
    runtime = createRuntime({ lanes: { minLanes: 1 } })
    // A deadline long enough for a lane's first request on a new engine instance (lazy compilation).
    runtime.load(noIo('spin', 2_000))
    let stops = 0
    while ((await lanesUntilInline(runtime, 'spin')) >= 0) {
      // Loops forever: stopped at its slice here (nothing of it answers), then at its deadline in a lane.
      const r = runtime.dispatch('spin', { path: '/spin' })
      expect(r).toBeInstanceOf(Promise)
      await expect(r).rejects.toMatchObject({ code: 'TIMEOUT' })
      stops++
      // Without the rule it would come back (and be stopped, and replaced) every time.
      expect(stops).toBeLessThanOrEqual(LANE_POLICY.inlineLostInstances)
      await tick()
    }
    // Attempts stopped by the machine's load count too, so possibly fewer than inlineLostInstances here.
    expect(stops).toBeGreaterThanOrEqual(1)
  }, 60_000)
})

const missing = wasiClangMissing()
describe.skipIf(missing !== undefined)('warm-up of a new instance', () => {
  it('leaves nothing: a counting component with reuse counts from 1 on the calling thread', async () => {
    const wasm = await compileCHttpComponent(join(FIXTURES, 'c-counter', 'counter.c'))
    runtime = createRuntime({ lanes: { minLanes: 1 } })
    runtime.load((await buildComponentArtifact({ wasm, config: testConfig('counter', { reuse: true, timeoutMs: 10_000, pool: { minWarm: 1, maxWarm: 1 } }) })).artifact)
    // Until it answers here: the first answer on this thread is the instance's first request.
    const answers: string[] = []
    for (let i = 0; i < 10 * LANE_POLICY.shortProofRuns && answers.length < 2; i++) {
      const r = runtime.dispatch('counter', { path: `/x${i}` })
      if (r instanceof Promise) {
        if (answers.length > 0) return void (await r) // this machine's load stopped an attempt: a lane answered
        await r
      } else answers.push(text(r.body))
    }
    expect(answers[0]).toMatch(/^global=1 memory=1 /)
    expect(answers[1]).toMatch(/^global=2 memory=2 /)
  })
})
