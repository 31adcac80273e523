// Where components run with lanes (jaegis serve): a small wasi:http component that can do no I/O proves
// short in lanes and then runs on the gateway thread like a core function (no thread hop per request); one
// that may call out, or a large one (a JavaScript engine), always runs in a lane.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createRuntime, LANE_POLICY, type Artifact, type FunctionConfig, type Runtime } from '../runtime/index.js'
import { inlineEligible } from '../runtime/lanes/policy.js'
import { buildComponentArtifact } from '../compiler/component/index.js'
import { FIXTURES, compileCHttpComponent, testConfig, text, wasiClangMissing } from './components-helpers.js'

const RUST_HELLO = readFileSync(join(FIXTURES, 'third-party', 'hello-wasi-http.wasm'))
let runtime: Runtime | undefined
afterEach(() => {
  runtime?.close()
  runtime = undefined
})

const build = async (wasm: Uint8Array, config: FunctionConfig, allowedOutboundHosts?: string[]) => (await buildComponentArtifact({ wasm, config, ...(allowedOutboundHosts ? { allowedOutboundHosts } : {}) })).artifact

/**
 * Dispatches `name` until it answers on this thread; the number of lane runs it took (0 when it ran inline
 * at once: an eligible function runs inline within the slice while no lane is free), or -1 when it never did.
 */
async function lanesUntilInline(rt: Runtime, name: string, path = '/'): Promise<number> {
  for (let i = 0; i < 10 * LANE_POLICY.shortProofRuns; i++) {
    const r = rt.dispatch(name, { path })
    if (!(r instanceof Promise)) return i
    await r
  }
  return -1
}

describe('components and lanes', () => {
  it('a wasi:http component without capabilities proves short in lanes, then answers on the calling thread (reuse and fresh state)', async () => {
    for (const reuse of [true, false]) {
      runtime = createRuntime({ lanes: { minLanes: 1 } })
      runtime.load(await build(RUST_HELLO, testConfig('rust', { reuse, timeoutMs: 10_000 })))
      expect(await lanesUntilInline(runtime, 'rust')).toBeGreaterThanOrEqual(0)
      const r = runtime.dispatch('rust', { path: '/' })
      expect(r).not.toBeInstanceOf(Promise)
      expect(text((r as { body: Uint8Array }).body)).toBe('Hello, this is your first wasi:http/proxy world!\n')
      runtime.close()
    }
  })

  it('a component that may call out, or one with a large memory (an engine inside) and fresh state, stays in lanes; a large one with reuse may run inline', async () => {
    const outbound = await build(RUST_HELLO, testConfig('rust', { timeoutMs: 10_000 }), ['https://example.com'])
    expect(inlineEligible(outbound.meta)).toBe(false)
    runtime = createRuntime({ lanes: { minLanes: 1 } })
    runtime.load(outbound)
    expect(await lanesUntilInline(runtime, 'rust')).toBe(-1)
    const fresh = await build(RUST_HELLO, testConfig('rust'))
    const big: Artifact = { ...fresh, meta: { ...fresh.meta, component: { ...fresh.meta.component!, initialMemoryBytes: LANE_POLICY.inlineComponentMemoryBytes + 1 } } }
    expect([inlineEligible(fresh.meta), inlineEligible(big.meta), inlineEligible({ ...big.meta, config: { ...big.meta.config, reuse: true } })]).toEqual([true, false, true])
    // One whose instances keep failing their resets (the pool's count) is not eligible either.
    expect([inlineEligible(fresh.meta, LANE_POLICY.inlineLostInstances - 1), inlineEligible(fresh.meta, LANE_POLICY.inlineLostInstances)]).toEqual([true, false])
  })

  const missing = wasiClangMissing()
  it.skipIf(missing !== undefined)('keeps fresh state inline: a counting component answers as new every time on the calling thread, and goes back to lanes when its resets keep failing', async () => {
    const wasm = await compileCHttpComponent(join(FIXTURES, 'c-counter', 'counter.c'))
    runtime = createRuntime({ lanes: { minLanes: 1 } })
    runtime.load(await build(wasm, testConfig('counter', { timeoutMs: 10_000, pool: { minWarm: 1, maxWarm: 1 } })))
    expect(await lanesUntilInline(runtime, 'counter', '/x')).toBeGreaterThanOrEqual(0)
    const answers: string[] = []
    for (let i = 0; i < 4; i++) {
      // Inline (a machine so loaded that an attempt outlives its slice sends it to a lane: fresh there too).
      const r = runtime.dispatch('counter', { path: `/secret-${i}` })
      answers.push(text((r instanceof Promise ? await r : r).body).replace(/scratch=\S+/, ''))
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(answers[0]).toMatch(/^global=1 memory=1 handle=\d+ heap=\.{16} /)
    expect(new Set(answers).size).toBe(1)
    // A request that grows the memory leaves an instance that cannot be reset (replaced, on this
    // thread, when inline): after inlineLostInstances of them, the function goes to lanes.
    let inline = 0
    for (let i = 0; i < 10; i++) {
      const r = runtime.dispatch('counter', { path: '/grow' })
      if (r instanceof Promise) {
        expect(text((await r).body)).toMatch(/^global=1 memory=1 /)
        break
      }
      expect(text(r.body)).toMatch(/^global=1 memory=1 /)
      inline++
      await new Promise((resolve) => setImmediate(resolve))
    }
    // At most inlineLostInstances (fewer if the machine's load sent it to lanes first); without the rule, all 10.
    expect(inline).toBeLessThanOrEqual(LANE_POLICY.inlineLostInstances)
    const inLane = runtime.dispatch('counter', { path: '/after' })
    expect(inLane).toBeInstanceOf(Promise)
    expect(text((await inLane).body)).toMatch(/^global=1 memory=1 /)
  })
})
