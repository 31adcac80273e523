// `jaegis forecast` end to end on the shared series, through command.run with a collecting context.
import { SHARED_DATA } from '../shared-data.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { command } from '../../cli/commands/forecast.js'
import { UsageError, type CommandContext } from '../../cli/command.js'
import { SeriesFormatError } from '../../kernels/forecast/index.js'
import { projectRoot } from '../../kernels/wasm-path.js'

const SERIES = join(SHARED_DATA, 'series')

function context(cwd = SERIES): CommandContext & { lines: string[] } {
  const lines: string[] = []
  return { lines, out: (t) => lines.push(t), err: () => {}, isTTY: false, env: {}, cwd }
}

describe('jaegis forecast', () => {
  it('prints a table with continued monthly timestamps (air_passengers, CR line endings)', async () => {
    const ctx = context()
    expect(await command.run(['air_passengers.csv', '--horizon', '12'], ctx)).toBe(0)
    expect(ctx.lines[0]).toMatch(/^air_passengers\.csv: 144 points, model .*\[12\].*, 95% intervals/)
    expect(ctx.lines).toHaveLength(2 + 12)
    expect(ctx.lines[2].startsWith('1961-01-01')).toBe(true)
    expect(ctx.lines[13].startsWith('1961-12-01')).toBe(true)
    const [, mean, lower, upper] = ctx.lines[2].trim().split(/\s+/).map(Number)
    expect(lower).toBeLessThan(mean)
    expect(upper).toBeGreaterThan(mean)
  })

  it('--json with a given season and level', async () => {
    const ctx = context()
    expect(await command.run(['nab_nyc_taxi.csv', '--horizon', '4', '--season', '48,336', '--level', '0.8', '--json'], ctx)).toBe(0)
    const out = JSON.parse(ctx.lines[0])
    expect(out.points).toBe(10320)
    expect(out.seasons).toEqual([48, 336])
    expect(out.level).toBe(0.8)
    expect(out.forecast).toHaveLength(4)
    expect(out.forecast[0].timestamp).toBe('2015-02-01 00:00:00')
    expect(out.forecast[0].lower).toBeLessThan(out.forecast[0].upper)
  })

  it('runs a named model', async () => {
    const ctx = context()
    await command.run(['retail_sales.csv', '--horizon', '3', '--model', 'snaive', '--season', '12', '--json'], ctx)
    expect(JSON.parse(ctx.lines[0]).model).toBe('snaive[12]')
  })

  it('rejects bad flags with UsageError and bad files with a clear error', async () => {
    const ctx = context()
    await expect(command.run(['air_passengers.csv'], ctx)).rejects.toThrow(UsageError)
    await expect(command.run(['air_passengers.csv', '--horizon', '0'], ctx)).rejects.toThrow(/--horizon/)
    await expect(command.run(['air_passengers.csv', '--horizon', '2', '--season', 'weekly'], ctx)).rejects.toThrow(/--season/)
    await expect(command.run(['air_passengers.csv', '--horizon', '2', '--model', 'prophet'], ctx)).rejects.toThrow(/--model/)
    await expect(command.run(['air_passengers.csv', '--horizon', '2', '--bogus'], ctx)).rejects.toThrow(UsageError)
    await expect(command.run(['missing.csv', '--horizon', '2'], ctx)).rejects.toThrow(/cannot read/)
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-forecast-'))
    writeFileSync(join(dir, 'bad.csv'), 'timestamp,value\n2020-01-01,1\n2020-01-02,lots\n')
    await expect(command.run(['bad.csv', '--horizon', '2'], context(dir))).rejects.toThrow(SeriesFormatError)
  })
})
