import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fakeArtifact } from '../../test/store-contract.js'
import { DiskArtifactCache } from './artifact-cache.js'

describe('DiskArtifactCache', () => {
  it('returns a cached artifact only when its bytes hash to the digest asked for, and drops one that does not', async () => {
    const cache = new DiskArtifactCache(mkdtempSync(join(tmpdir(), 'jaegis-cache-')))
    const a = fakeArtifact('f', 1)
    await cache.put(a)
    expect((await cache.get(a.meta.digest))?.meta.digest).toBe(a.meta.digest)
    // One byte of the wasm flipped on disk (the last byte of the file is the wasm's last byte).
    const path = cache.path(a.meta.digest)
    const bytes = readFileSync(path)
    bytes[bytes.length - 1] ^= 0xff
    writeFileSync(path, bytes)
    expect(await cache.get(a.meta.digest)).toBeUndefined()
    expect(existsSync(path)).toBe(false)
    expect(cache.rejected).toEqual([a.meta.digest])
  })

  it('does not serve another valid artifact stored under a digest', async () => {
    const cache = new DiskArtifactCache(mkdtempSync(join(tmpdir(), 'jaegis-cache-')))
    const [a, b] = [fakeArtifact('f', 1), fakeArtifact('f', 2)]
    await cache.put(b)
    writeFileSync(cache.path(a.meta.digest), readFileSync(cache.path(b.meta.digest)))
    expect(await cache.get(a.meta.digest)).toBeUndefined()
  })
})
