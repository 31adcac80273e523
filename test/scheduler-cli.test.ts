// `jaegis sim` end to end on the shared Azure samples, through command.run with a collecting context.
import { SHARED_DATA } from './shared-data.js'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { command } from '../cli/commands/sim.js'
import { UsageError } from '../cli/command.js'
import { captureContext, type CapturedContext } from './cli-capture.js'
import { projectRoot } from '../kernels/wasm-path.js'
import { SchedulerError } from '../scheduler/index.js'

const AZ = join(SHARED_DATA, 'azure-functions')
const ZOO = join(SHARED_DATA, 'topologyzoo')

function context(): CapturedContext {
  return captureContext(AZ)
}

describe('jaegis sim', () => {
  it('prints a table per policy for the 2021 per-invocation trace', async () => {
    const ctx = context()
    expect(await command.run(['--trace', 'azure2021_30_per_invocation.csv'], ctx)).toBe(0)
    expect(ctx.lines[0]).toMatch(/azure2021, 14 functions, 3 min, 29 invocations/)
    expect(ctx.lines[1]).toMatch(/^policy\s+knob\s+cold starts\s+cold %\s+wasted GB-s\s+p99 added ms$/)
    expect(ctx.lines.slice(2, 5).map((l) => l.split(/\s+/)[0])).toEqual(['fixed', 'histogram', 'predictive'])
  })

  it('--json prints one line with the policies object, and --hosts a placement', async () => {
    const ctx = context()
    expect(await command.run(['--trace', 'azure2019_example_per_minute.csv', '--policy', 'all', '--json', '--hosts', '40'], ctx)).toBe(0)
    expect(ctx.lines.length).toBe(1)
    const r = JSON.parse(ctx.lines[0])
    expect(Object.keys(r.policies)).toEqual(['fixed', 'histogram', 'predictive'])
    for (const p of Object.values(r.policies) as { cold_start_pct: number; wasted_gb_s: number }[]) {
      expect(p.cold_start_pct).toBeGreaterThanOrEqual(0)
      expect(p.wasted_gb_s).toBeGreaterThan(0)
    }
    // Every function of this trace runs 5 per minute nearly all day: cold starts are rare for every policy.
    expect(r.policies.fixed.cold_start_pct).toBeLessThan(1)
    expect(r.trace.format).toBe('azure2019')
    expect(r.placement.hosts).toBe(40)
    expect(r.placement.placed_instances).toBeGreaterThanOrEqual(4)
    expect(r.placement.unplaced_instances).toBe(0)
  })

  it('--fleet places on a Topology Zoo network; --plot writes the trade-off SVG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-sim-'))
    const ctx = context()
    const out = join(dir, 'tradeoff.svg')
    expect(await command.run(['--trace', 'azure2019_example_per_minute.csv', '--policy', 'fixed', '--fleet', join(ZOO, 'Abilene.graphml'), '--hosts', '12', '--plot', out, '--minutes', '120'], ctx)).toBe(0)
    expect(ctx.lines.some((l) => /placement on 12 hosts over 11 regions \(Abilene\)/.test(l))).toBe(true)
    const svg = readFileSync(out, 'utf8')
    expect(svg).toMatch(/^<svg /)
    expect(svg.match(/<circle /g)!.length).toBe(6) // fixed's six keep-alive settings
    expect(svg).toContain('keepAliveMinutes')
  })

  it('reports bad flags as usage errors and bad traces clearly', async () => {
    await expect(command.run([], context())).rejects.toThrow(UsageError)
    await expect(command.run(['--trace', 'x.csv', '--policy', 'lru'], context())).rejects.toThrow(/--policy must be one of fixed, histogram, predictive, all/)
    await expect(command.run(['--trace', 'x.csv', '--hosts', '0'], context())).rejects.toThrow(/--hosts must be an integer >= 1/)
    await expect(command.run(['--bogus'], context())).rejects.toThrow(UsageError)
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-sim-'))
    writeFileSync(join(dir, 'bad.csv'), 'timestamp,value\n1,2\n')
    await expect(command.run(['--trace', join(dir, 'bad.csv')], context())).rejects.toThrow(SchedulerError)
    await expect(command.run(['--trace', join(dir, 'missing.csv')], context())).rejects.toThrow(/cannot read trace/)
  })
})
