// The autoscaler inside jaegis serve: live invocations reach it, its decision sizes the pool within
// the manifest's bounds, and the reason is visible in explain, list and /metrics.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServer, type JaegisServer } from '../server/index.js'
import { DEFAULT_FALLBACK_KEEP_ALIVE_MINUTES } from '../scheduler/index.js'
import { buildFunction } from './helpers.js'

let server: JaegisServer
const auth = { authorization: 'Bearer s' }

beforeAll(async () => {
  const hello = (await buildFunction('hello', (t) => t + '\n[pool]\nmin_warm = 0\nmax_warm = 3\n')).artifact
  server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-sched-')), token: 's', deployOnStart: [hello] })
})
afterAll(() => server?.close(500))

describe('autoscaling in jaegis serve', () => {
  it('decides from live traffic and applies the target within the manifest bounds', async () => {
    const before = await (await fetch(`${server.url}/_api/v1/functions/hello/explain`, { headers: auth })).json()
    expect(before.decision).toBeNull()
    expect(before.note).toMatch(/no decision yet/)
    for (let i = 0; i < 30; i++) expect((await fetch(`${server.url}/fn/hello`)).status).toBe(200)
    server.scheduler!.tick()
    const r = await (await fetch(`${server.url}/_api/v1/functions/hello/explain`, { headers: auth })).json()
    expect(r.autoscaler).toBe('predictive')
    expect(r.bounds).toEqual({ min_warm: 0, max_warm: 3 })
    // A fresh server has no idle-time history and no forecast yet, and 30 sequential requests are no
    // burst: the fixed keep-alive fallback decides. The traffic itself is visible in the numbers.
    expect(r.decision.target.explanation.decidedBy).toBe('fallback')
    expect(r.decision.target.explanation.numbers).toMatchObject({ forecastWarm: 0, panicking: false, stableConcurrency: 1 })
    expect(r.decision.target.warm).toBe(0) // no warm floor: the fallback holds instances by keep-alive instead
    expect(r.decision.target.keepAliveMs).toBe(DEFAULT_FALLBACK_KEEP_ALIVE_MINUTES * 60_000) // PredictivePolicy's fallbackKeepAliveMinutes default
    expect(typeof r.decision.target.explanation.summary).toBe('string')
    const applied = r.decision.appliedWarm
    expect(applied).toBe(Math.min(3, Math.max(0, r.decision.target.warm)))
    expect(server.runtime.stats().functions.hello!.pool.minWarm).toBe(applied)

    const list = await (await fetch(`${server.url}/_api/v1/functions`, { headers: auth })).json()
    expect(list.functions[0].scheduler.reason).toBe(r.decision.target.explanation.summary)
    const metrics = await (await fetch(`${server.url}/metrics`)).text()
    expect(metrics).toMatch(new RegExp(`jaegis_scheduler_target_instances\\{function="hello",decided_by="${r.decision.target.explanation.decidedBy}"\\} ${r.decision.target.warm}`))
  })
})
