// `jaegis quantum` through its Command object with a fake context, on the shared circuits.
import { SHARED_DATA } from '../shared-data.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../cli/command.js'
import { captureContext, type CapturedContext } from '../cli-capture.js'
import { command } from '../../cli/commands/quantum.js'
import { projectRoot } from '../../kernels/wasm-path.js'

function fakeCtx(): CapturedContext {
  return captureContext(join(SHARED_DATA, 'qasm'))
}

describe('jaegis quantum', () => {
  it('prints the most likely states and the time taken', async () => {
    const ctx = fakeCtx()
    expect(await command.run(['grover_n2.qasm', '--top', '2'], ctx)).toBe(0)
    expect(ctx.lines[0]).toMatch(/^grover_n2\.qasm: 2 qubits, 16 gates, .* simulated in [\d.]+ ms$/)
    expect(ctx.lines[1]).toBe('most likely 1 basis states:')
    expect(ctx.lines[2]).toBe('  11  1.000000')
  })

  it('prints seeded counts with --shots, identical for the same seed', async () => {
    const a = fakeCtx(), b = fakeCtx()
    await command.run(['qft_n4.qasm', '--shots', '1000', '--seed', '5', '--top', '3'], a)
    await command.run(['qft_n4.qasm', '--shots', '1000', '--seed', '5', '--top', '3'], b)
    expect(a.lines[1]).toBe('top 3 of 1000 shots (seed 5):')
    expect(a.lines.slice(1)).toEqual(b.lines.slice(1))
    expect(a.lines).toHaveLength(5)
    const shown = a.lines.slice(2).map((l) => Number(l.trim().split(/\s+/)[1]))
    expect(shown).toEqual([...shown].sort((x, y) => y - x))
  })

  it('prints one JSON object with --json', async () => {
    const ctx = fakeCtx()
    await command.run(['ghz_state_n23.qasm', '--json', '--top', '2'], ctx)
    expect(ctx.lines).toHaveLength(1)
    const r = JSON.parse(ctx.lines[0])
    expect(r.numQubits).toBe(23)
    expect(r.top.map((o: { probability: number }) => o.probability)).toEqual([expect.closeTo(0.5, 12), expect.closeTo(0.5, 12)])
    expect(typeof r.simulateMs).toBe('number')
  })

  it('rejects bad flags and arguments with UsageError', async () => {
    await expect(command.run([], fakeCtx())).rejects.toThrow(UsageError)
    await expect(command.run(['a.qasm', 'b.qasm'], fakeCtx())).rejects.toThrow(/expected one file/)
    await expect(command.run(['grover_n2.qasm', '--shots', 'many'], fakeCtx())).rejects.toThrow(/--shots must be a non-negative integer/)
    await expect(command.run(['grover_n2.qasm', '--bogus'], fakeCtx())).rejects.toThrow(UsageError)
  })

  it('names the file, line and column of a QASM error, and a missing file', async () => {
    const ctx = fakeCtx()
    ctx.cwd = projectRoot()
    await expect(command.run(['no-such.qasm'], ctx)).rejects.toThrow(/cannot read no-such\.qasm: ENOENT/)
    await expect(command.run(['package.json'], ctx)).rejects.toThrow(/^package\.json: line 1, column 1: /)
  })
})
