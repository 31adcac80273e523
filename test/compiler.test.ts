// The compiler end to end: reproducible digests, snapshots that carry init()'s work, clear errors.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { build } from '../compiler/index.js'
import { createRuntime, readArtifact, ARTIFACT_META_FILE, ARTIFACT_WASM_FILE } from '../runtime/index.js'
import { ROOT, buildFunction, text } from './helpers.js'

describe('build', () => {
  it('gives the same digest for the same source', async () => {
    const [a, b] = await Promise.all([buildFunction('echo'), buildFunction('echo')])
    expect(a.artifact.meta.digest).toMatch(/^[0-9a-f]{64}$/)
    expect(a.artifact.meta.digest).toBe(b.artifact.meta.digest)
    const c = await buildFunction('echo', (t) => t.replace('timeout_ms = 2000', 'timeout_ms = 2001'))
    expect(c.artifact.meta.digest).toBe(a.artifact.meta.digest) // config is not code
  })

  it('captures init() in the snapshot: the table is there without running init', async () => {
    const { artifact, initMs } = await buildFunction('lookup')
    expect(initMs).toBeGreaterThan(0)
    const rt = createRuntime()
    rt.load(artifact)
    const res = rt.invokeSync('lookup', { query: 'n=27' })
    expect(JSON.parse(text(res.body))).toEqual({ n: 27, steps: 111 })
    // The module holds the 1 MiB table as data: it is far bigger than the code.
    expect(artifact.wasm.byteLength).toBeGreaterThan(512 * 1024)
  })

  it('writes an artifact folder that reads back and verifies', async () => {
    const { outDir, artifact } = await buildFunction('hello')
    const back = await readArtifact(outDir)
    expect(back.meta).toEqual(artifact.meta)
  })

  it('refuses a tampered artifact', async () => {
    const { outDir } = await buildFunction('hello')
    const wasm = readFileSync(join(outDir, ARTIFACT_WASM_FILE))
    wasm[wasm.length - 1] ^= 0xff
    writeFileSync(join(outDir, ARTIFACT_WASM_FILE), wasm)
    await expect(readArtifact(outDir)).rejects.toThrow(/invalid artifact: digest mismatch/)
  })

  it('refuses an artifact for another ABI version', async () => {
    const { outDir } = await buildFunction('hello')
    const meta = JSON.parse(readFileSync(join(outDir, ARTIFACT_META_FILE), 'utf8'))
    writeFileSync(join(outDir, ARTIFACT_META_FILE), JSON.stringify({ ...meta, abi: 9 }))
    await expect(readArtifact(outDir)).rejects.toThrow('artifact was built for Jaegis ABI v9; this runtime speaks v1')
  })

  it('reports compile errors with file, line and column', async () => {
    const err = await build(join(ROOT, 'test', 'fixtures', 'broken'), { outDir: join(ROOT, 'build', 'test-broken') }).catch((e) => e)
    expect(err.code).toBe('COMPILE_FAILED')
    expect(err.message).toMatch(/TS2322/)
    expect(err.message).toMatch(/assembly\/index\.ts\(6,24\)/)
  })

  it('fails the build when init() fails, with its message', async () => {
    const err = await build(join(ROOT, 'test', 'fixtures', 'badinit'), { outDir: join(ROOT, 'build', 'test-badinit') }).catch((e) => e)
    expect(err.code).toBe('PREINIT_FAILED')
    expect(err.message).toContain('cannot load the table')
  })

  it('explains a folder without a manifest', async () => {
    const err = await build(join(ROOT, 'docs')).catch((e) => e)
    expect(err.code).toBe('INVALID_MANIFEST')
    expect(err.message).toMatch(/no jaegis\.toml in .*docs: is this a Jaegis function folder\?/)
  })
})
