import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FullDiskFs } from '../../test/faulty-fs.js'
import { fakeArtifact, storeContract } from '../../test/store-contract.js'
import { FileStore } from './file-store.js'

storeContract(
  'FileStore',
  () => FileStore.open(mkdtempSync(join(tmpdir(), 'jaegis-store-'))),
  async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-store-full-'))
    const fs = new FullDiskFs()
    const store = await FileStore.open(dir, { fs })
    const leftovers = async () => ['artifacts', 'deployments', 'logs'].flatMap((sub) => readdirSync(join(dir, sub)).filter((e) => e.startsWith('.tmp-')).map((e) => `${sub}/${e}`))
    return { store, fill: (full: boolean) => void (fs.full = full), leftovers }
  },
)

describe('FileStore', () => {
  it('clears temporary files a crash left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-store-'))
    mkdirSync(join(dir, 'deployments'), { recursive: true })
    writeFileSync(join(dir, 'deployments', '.tmp-abc'), 'half a record')
    mkdirSync(join(dir, 'artifacts', '.tmp-def'), { recursive: true })
    await FileStore.open(dir)
    expect(readdirSync(join(dir, 'deployments'))).toEqual([])
    expect(readdirSync(join(dir, 'artifacts'))).toEqual([])
  })

  it('trims a log that outgrows its limit to the newest lines', async () => {
    const store = await FileStore.open(mkdtempSync(join(tmpdir(), 'jaegis-store-')), { maxLogBytes: 2000 })
    for (let i = 0; i < 100; i++) await store.appendLogs('f', [{ timeMs: i, level: 'info', message: `line ${i}`, version: 1 }])
    const all = await store.readLogs('f', 1000)
    expect(all.length).toBeLessThan(100)
    expect(all.at(-1)!.message).toBe('line 99')
  })

  it('serves deployments from memory, as they are on disk: a reopened store sees the same, and records are read-only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-store-'))
    const store = await FileStore.open(dir)
    const config = fakeArtifact('a', 0).meta.config
    const v = (version: number) => ({ version, digest: 'a'.repeat(64), deployedAt: '2026-01-01T00:00:00.000Z', config })
    await store.putDeployment({ name: 'a', current: 1, versions: [v(1)] })
    await store.putDeployment({ name: 'b', current: 2, versions: [v(1), v(2)] })
    await store.deleteDeployment('a')
    const reopened = await FileStore.open(dir)
    expect(await reopened.listDeployments()).toEqual(await store.listDeployments())
    expect((await reopened.listDeployments()).map((d) => d.name)).toEqual(['b'])
    const b = (await store.getDeployment('b'))!
    expect(() => b.versions.push(v(3))).toThrow(TypeError)
    expect((await store.getDeployment('b'))!.versions).toHaveLength(2)
  })

  it('refuses to open over an unreadable deployment record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jaegis-store-'))
    mkdirSync(join(dir, 'deployments'), { recursive: true })
    writeFileSync(join(dir, 'deployments', 'broken.json'), '{"name": "bro')
    await expect(FileStore.open(dir)).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/deployment record of broken is unreadable/) })
  })
})
