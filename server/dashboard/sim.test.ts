// The dashboard's simulator runs its sweep on a thread of its own (the runtime's OffThread): a trace
// gets its trade-off curves, a bad one a clear error, and a sweep past its time limit is stopped.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { SHARED_DATA } from '../../test/shared-data.js'
import { SimRunner } from './sim.js'

const example = readFileSync(join(SHARED_DATA, 'azure-functions', 'azure2019_example_per_minute.csv'), 'utf8')
const runners: SimRunner[] = []
const runner = (limits: ConstructorParameters<typeof SimRunner>[0] = {}) => {
  const r = new SimRunner(limits)
  runners.push(r)
  return r
}
afterAll(() => {
  for (const r of runners) r.close()
})

describe('the dashboard simulator', () => {
  it("sweeps a trace's policies on another thread", async () => {
    const r = await runner().run(example, 'example.csv')
    expect(r.trace).toMatchObject({ source: 'example.csv', format: 'azure2019', functions: 4 })
    expect(r.series.length).toBeGreaterThan(0)
    expect(r.svg).toMatch(/^<svg/)
  })

  it('refuses a file that is not a trace with the parser\'s message', async () => {
    await expect(runner().run('a,b,c\n1,2,3\n', 'x.csv')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/x\.csv: unrecognised header/) })
  })

  it('stops a sweep past its time limit', async () => {
    const r = runner({ timeoutMs: 1 })
    await expect(r.run(example, 'slow.csv')).rejects.toMatchObject({ code: 'TIMEOUT' })
  })
})
