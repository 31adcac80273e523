// `jaegis topo` end to end on Topology Zoo files, through command.run with a collecting context.
import { SHARED_DATA } from '../shared-data.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { command } from '../../cli/commands/topo.js'
import { UsageError } from '../../cli/command.js'
import { captureContext, type CapturedContext } from '../cli-capture.js'
import { projectRoot } from '../../kernels/wasm-path.js'
import { jaegis } from './cli-run.js'

const ZOO = join(SHARED_DATA, 'topologyzoo')

function context(): CapturedContext {
  return captureContext(ZOO)
}

describe('jaegis topo', () => {
  it('--from prints the latency to every node, nearest first', async () => {
    const ctx = context()
    expect(await command.run(['Abilene.graphml', '--from', 'New York'], ctx)).toBe(0)
    expect(ctx.lines[0]).toMatch(/^Abilene: one-way latency from New York \(id 0\) to 11 nodes/)
    expect(ctx.lines.length).toBe(12)
    expect(ctx.lines[1]).toMatch(/^\s+0\.000 ms {2}New York \(id 0\)$/)
    const ms = ctx.lines.slice(1).map((l) => Number.parseFloat(l))
    expect(ms).toEqual([...ms].sort((a, b) => a - b))
  })

  it('--from --json gives every node with its latency (null when unreachable)', async () => {
    const ctx = context()
    await command.run([join(ZOO, 'Geant2012.graphml'), '--from', '0', '--json'], ctx)
    const out = JSON.parse(ctx.lines.join(''))
    expect(out.network).toBe('Geant2012')
    expect(out.nodes.length).toBe(40)
    expect(out.nodes[0]).toMatchObject({ id: '0', latencyMs: 0 })
    for (const n of out.nodes) expect(n.latencyMs === null || n.latencyMs >= 0).toBe(true)
  })

  it('--place K prints K sites and the demand-weighted mean latency', async () => {
    const ctx = context()
    await command.run(['Cogentco.graphml', '--place', '4', '--json'], ctx)
    const out = JSON.parse(ctx.lines.join(''))
    expect(out.sites.length).toBe(4)
    expect(out.sites.reduce((s: number, x: { servedNodes: number }) => s + x.servedNodes, 0)).toBe(197)
    expect(out.meanLatencyMs).toBeGreaterThan(0)
    const text = context()
    await command.run(['Cogentco.graphml', '--place', '4'], text)
    expect(text.lines[0]).toContain(`mean latency ${out.meanLatencyMs.toFixed(3)} ms`)
    expect(text.errors.some((e) => e.includes('duplicate edge'))).toBe(true)
  })

  it('uses the fallback latency for Internet2 (no coordinates)', async () => {
    const ctx = context()
    await command.run(['Internet2.graphml', '--from', 'CENIC', '--fallback-ms', '3', '--json'], ctx)
    const out = JSON.parse(ctx.lines.join(''))
    for (const n of out.nodes) expect(n.latencyMs % 3).toBe(0)
  })

  it('rejects bad flags, unknown nodes and malformed files with clear errors', async () => {
    await expect(command.run(['Abilene.graphml'], context())).rejects.toThrow(UsageError)
    await expect(command.run(['Abilene.graphml', '--from', 'x', '--place', '2'], context())).rejects.toThrow(/exactly one of/)
    await expect(command.run(['Abilene.graphml', '--place', 'two'], context())).rejects.toThrow(/positive integer/)
    await expect(command.run(['Abilene.graphml', '--place', '12'], context())).rejects.toThrow(/only 11 nodes/)
    await expect(command.run(['Abilene.graphml', '--from', 'Atlantis'], context())).rejects.toThrow(/Abilene has no node with id or label "Atlantis"/)
    await expect(command.run(['missing.graphml', '--from', '0'], context())).rejects.toThrow(/cannot read .*missing\.graphml/)
    const dir = mkdtempSync(join(tmpdir(), 'topo-cli-'))
    writeFileSync(join(dir, 'bad.graphml'), '<graphml><graph edgedefault="undirected"><node id="a"/><edge source="a" target="b"/></graph></graphml>')
    await expect(command.run([join(dir, 'bad.graphml'), '--from', 'a'], context())).rejects.toThrow(/line 1: edge a -> b: target node "b" does not exist/)
  })
})

describe('jaegis topo, the binary', () => {
  it('a --place error prints the --place usage line, not the --from one', async () => {
    const r = await jaegis(['topo', 'Abilene.graphml', '--place', 'two'], ZOO)
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('jaegis topo: --place needs a positive integer, got "two"\nusage: jaegis topo <file.graphml> --place K [--json]\n')
    const big = await jaegis(['topo', 'Abilene.graphml', '--place', '12'], ZOO)
    expect(big.stderr).toBe('jaegis topo: --place 12 but Abilene has only 11 nodes\nusage: jaegis topo <file.graphml> --place K [--json]\n')
    const neither = await jaegis(['topo', 'Abilene.graphml'], ZOO)
    expect(neither.stderr).toContain('--from <node id or label> [--json]\n       jaegis topo <file.graphml> --place K [--json]\n')
  })

  it('checks --place before reading the file', async () => {
    // A file that does not exist: the flag error must come first, with its usage line.
    const r = await jaegis(['topo', 'no-such-file.graphml', '--place', '0'], ZOO)
    expect(r.code).toBe(2)
    expect(r.stderr).toBe('jaegis topo: --place needs a positive integer, got "0"\nusage: jaegis topo <file.graphml> --place K [--json]\n')
    const ok = await jaegis(['topo', 'Abilene.graphml', '--place', '2', '--json'], ZOO)
    expect(ok.code, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout).sites).toHaveLength(2)
  })
})
