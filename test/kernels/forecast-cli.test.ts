// `jaegis forecast` end to end on the shared series, through command.run with a collecting context.
import { SHARED_DATA } from '../shared-data.js'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { command } from '../../cli/commands/forecast.js'
import { UsageError } from '../../cli/command.js'
import { captureContext, type CapturedContext } from '../cli-capture.js'
import { SeriesFormatError } from '../../kernels/forecast/index.js'
import { projectRoot } from '../../kernels/wasm-path.js'
import { jaegis } from './cli-run.js'

const SERIES = join(SHARED_DATA, 'series')

function context(cwd = SERIES): CapturedContext {
  return captureContext(cwd)
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

describe('jaegis forecast, the binary', () => {
  /** nyc_taxi's first 1000 values, as a CSV with integer timestamps 0, 30, 60, ... and as values only. */
  function files(): string {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-forecast-e2e-'))
    const rows = readFileSync(join(SERIES, 'nab_nyc_taxi.csv'), 'utf8').trim().split('\n').slice(1, 1001).map((l) => l.split(',')[1])
    writeFileSync(join(dir, 'minutes.csv'), 'minute,value\n' + rows.map((v, i) => `${i * 30},${v}`).join('\n') + '\n')
    writeFileSync(join(dir, 'values.csv'), rows.join('\n') + '\n')
    writeFileSync(join(dir, 'values-header.csv'), 'passengers\r\n' + rows.join('\r\n') + '\r\n')
    return dir
  }

  it('continues integer timestamps by their step (JSON and text)', async () => {
    const dir = files()
    const r = await jaegis(['forecast', 'minutes.csv', '--horizon', '3', '--season', '48', '--json'], dir)
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.points).toBe(1000)
    expect(out.forecast.map((f: { timestamp: string }) => f.timestamp)).toEqual(['30000', '30030', '30060'])
    const text = await jaegis(['forecast', 'minutes.csv', '--horizon', '3', '--season', '48'], dir)
    const lines = text.stdout.trim().split('\n')
    expect(lines[1]).toMatch(/^timestamp\s+mean/)
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(['30000', '30030', '30060'])
  })

  it('accepts a CSV of values only, with or without a header, steps as timestamps', async () => {
    const dir = files()
    const a = await jaegis(['forecast', 'values.csv', '--horizon', '2', '--season', '48', '--json'], dir)
    const b = await jaegis(['forecast', 'values-header.csv', '--horizon', '2', '--season', '48', '--json'], dir)
    const c = await jaegis(['forecast', 'minutes.csv', '--horizon', '2', '--season', '48', '--json'], dir)
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const [ja, jb, jc] = [a, b, c].map((r) => JSON.parse(r.stdout))
    expect(ja.points).toBe(1000)
    expect(ja.forecast.map((f: { timestamp: string }) => f.timestamp)).toEqual(['1001', '1002'])
    expect(jb.forecast.map((f: { timestamp: string }) => f.timestamp)).toEqual(['1001', '1002'])
    // Same values, same forecast as the two-column file.
    expect(ja.forecast.map((f: { mean: number }) => f.mean)).toEqual(jc.forecast.map((f: { mean: number }) => f.mean))
    expect(jb.forecast.map((f: { mean: number }) => f.mean)).toEqual(jc.forecast.map((f: { mean: number }) => f.mean))
  })

  it('still names the line of a bad value in a values-only CSV', async () => {
    const dir = files()
    writeFileSync(join(dir, 'bad.csv'), '1\n2\nlots\n4\n')
    const r = await jaegis(['forecast', 'bad.csv', '--horizon', '2'], dir)
    expect(r.code).toBe(1)
    expect(r.stderr).toBe('jaegis forecast: line 3: value "lots" is not a finite number\n')
  })
})
