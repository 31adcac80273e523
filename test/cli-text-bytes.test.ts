// The text commands through the real binary (bin/jaegis.js as a child process): every line they print,
// on stdout and stderr, in text and --json mode, ends with a newline. Needs `npm run build` (npm test runs it).
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ROOT, SHARED_DATA } from './helpers.js'

const run = promisify(execFile)
const BIN = join(ROOT, 'bin', 'jaegis.js')

async function jaegis(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

/** Non-empty text made of whole lines: ends with "\n" and has `n` of them. */
function expectLines(text: string, n: number | ((count: number) => boolean)): string[] {
  expect(text.endsWith('\n'), JSON.stringify(text.slice(-80))).toBe(true)
  const lines = text.slice(0, -1).split('\n')
  if (typeof n === 'number') expect(lines).toHaveLength(n)
  else expect(n(lines.length), `${lines.length} lines`).toBe(true)
  return lines
}

const QASM = join(SHARED_DATA, 'qasm')
const ZOO = join(SHARED_DATA, 'topologyzoo')
const SERIES = join(SHARED_DATA, 'series')
const AZ = join(SHARED_DATA, 'azure-functions')

describe('text commands write whole lines', () => {
  it('quantum: text, --json and an error', async () => {
    const text = await jaegis(['quantum', 'grover_n2.qasm', '--top', '2'], QASM)
    expect(text.code, text.stderr).toBe(0)
    const lines = expectLines(text.stdout, 3)
    expect(lines[1]).toBe('most likely 1 basis states:')
    expect(lines[2]).toBe('  11  1.000000')
    const json = await jaegis(['quantum', 'grover_n2.qasm', '--json'], QASM)
    expect(JSON.parse(expectLines(json.stdout, 1)[0]!).numQubits).toBe(2)
    const bad = await jaegis(['quantum', 'no-such.qasm'], QASM)
    expect(bad.code).toBe(1)
    expect(expectLines(bad.stderr, 1)[0]).toMatch(/^jaegis quantum: cannot read no-such\.qasm: ENOENT/)
  })

  it('topo: text, its note: lines, --json and an error', async () => {
    const text = await jaegis(['topo', 'Abilene.graphml', '--from', 'New York'], ZOO)
    expect(text.code, text.stderr).toBe(0)
    expect(expectLines(text.stdout, 12)[0]).toMatch(/^Abilene: one-way latency from New York/)
    const place = await jaegis(['topo', 'Cogentco.graphml', '--place', '4'], ZOO)
    expect(expectLines(place.stdout, (n) => n >= 5)[0]).toMatch(/4 site\(s\)/)
    const notes = expectLines(place.stderr, (n) => n >= 1)
    expect(notes.every((l) => l.startsWith('note: ')), notes.join('\n')).toBe(true)
    const json = await jaegis(['topo', 'Abilene.graphml', '--from', 'New York', '--json'], ZOO)
    expect(JSON.parse(expectLines(json.stdout, 1)[0]!).nodes).toHaveLength(11)
    const bad = await jaegis(['topo', 'Abilene.graphml', '--from', 'Atlantis'], ZOO)
    expect(bad.code).not.toBe(0)
    expect(expectLines(bad.stderr, (n) => n >= 1)[0]).toMatch(/^jaegis topo: /)
  })

  it('forecast: text, --json and an error', async () => {
    const text = await jaegis(['forecast', 'air_passengers.csv', '--horizon', '12'], SERIES)
    expect(text.code, text.stderr).toBe(0)
    expect(expectLines(text.stdout, 14)[2]).toMatch(/^1961-01-01 /)
    const json = await jaegis(['forecast', 'air_passengers.csv', '--horizon', '3', '--json'], SERIES)
    expect(JSON.parse(expectLines(json.stdout, 1)[0]!).forecast).toHaveLength(3)
    const bad = await jaegis(['forecast', 'missing.csv', '--horizon', '2'], SERIES)
    expect(bad.code).toBe(1)
    expect(expectLines(bad.stderr, 1)[0]).toMatch(/^jaegis forecast: .*cannot read/)
  })

  it('sim: text, --json and an error', async () => {
    const text = await jaegis(['sim', '--trace', 'azure2021_30_per_invocation.csv'], AZ)
    expect(text.code, text.stderr).toBe(0)
    const lines = expectLines(text.stdout, (n) => n >= 5)
    expect(lines[1]).toMatch(/^policy\s+knob/)
    const json = await jaegis(['sim', '--trace', 'azure2021_30_per_invocation.csv', '--json'], AZ)
    expect(JSON.parse(expectLines(json.stdout, 1)[0]!).policies).toBeTypeOf('object')
    const bad = await jaegis(['sim', '--trace', 'no-such.csv'], AZ)
    expect(bad.code).not.toBe(0)
    expect(expectLines(bad.stderr, (n) => n >= 1)[0]).toMatch(/^jaegis sim: /)
  })
})
