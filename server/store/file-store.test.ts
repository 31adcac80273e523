import { mkdtempSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FullDiskFs } from '../../test/faulty-fs.js'
import { storeContract } from '../../test/store-contract.js'
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
})
