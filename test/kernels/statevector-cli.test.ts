// `jaegis quantum` through its Command object with a fake context, on the shared circuits.
import { SHARED_DATA } from '../shared-data.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { UsageError } from '../../cli/command.js'
import { captureContext, type CapturedContext } from '../cli-capture.js'
import { command } from '../../cli/commands/quantum.js'
import { projectRoot } from '../../kernels/wasm-path.js'
import { jaegis } from './cli-run.js'

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

describe('jaegis quantum, the binary', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jaegis-quantum-e2e-'))

  it('refuses a file without the OPENQASM 2.0 header, naming the file and line', async () => {
    writeFileSync(join(dir, 'headless.qasm'), '// no header\ninclude "qelib1.inc";\nqreg q[1];\nh q[0];\n')
    const r = await jaegis(['quantum', 'headless.qasm'], dir)
    expect(r.code).toBe(1)
    expect(r.stderr).toBe("jaegis quantum: headless.qasm: line 2, column 1: expected the header 'OPENQASM 2.0;' before 'include': an OpenQASM 2.0 program must start with it\n")
  })

  it('runs the new qelib1 gates and if statements with --shots, one line per outcome', async () => {
    // c3x and c4x flip their target only when every control is 1; q0 is measured mid-circuit and drives an if.
    writeFileSync(join(dir, 'feed.qasm'), 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[5];\ncreg m[1];\ncreg c[5];\n' +
      'h q[0];\nmeasure q[0] -> m[0];\nif (m == 1) x q[1];\nif (m == 1) x q[2];\nif (m == 1) x q[3];\nc3x q[1],q[2],q[3],q[0];\n' +
      'rccx q[1],q[2],q[4];\nrz(0.1) q[4];\nrccx q[1],q[2],q[4];\ncsx q[0],q[4];\ncsx q[0],q[4];\nc4x q[0],q[1],q[2],q[3],q[4];\nmeasure q -> c;\n')
    const r = await jaegis(['quantum', 'feed.qasm', '--shots', '400', '--seed', '3'], dir)
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[1]).toBe('top 2 of 400 shots (seed 3):')
    // m = 0: nothing happens (00000, m 0). m = 1: q1..q3 set, c3x clears q0, so the c4x does not fire: 01110, m 1.
    const rows = lines.slice(2, 4).map((l) => l.trim().split(/\s+/)[0]).sort()
    expect(rows).toEqual(['000000', '011101'])
    expect(lines[4]).toBe('')
  })
})
