// The contract every Store implementation passes (hono's common.case.test.ts pattern): run it from
// each implementation's test file with a factory for a fresh, empty store.
import { describe, expect, it } from 'vitest'
import { ABI_VERSION, sha256Hex, verifyArtifact, type Artifact } from '../runtime/index.js'
import type { Store } from '../server/store/store.js'

/** A small valid artifact whose bytes (and so digest) depend on `seed`. */
export function fakeArtifact(name: string, seed: number): Artifact {
  // A minimal module plus a custom section carrying the seed: valid wasm, distinct digest.
  const custom = new TextEncoder().encode(`\u0004seed${seed}`)
  const wasm = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, custom.length, ...custom])
  const meta = {
    abi: ABI_VERSION,
    kind: 'core',
    digest: sha256Hex(wasm),
    sizeBytes: wasm.length,
    config: { name, limits: { memoryBytes: 1 << 20, timeoutMs: 100, bodyBytes: 1024 }, env: {}, pool: { minWarm: 0, maxWarm: 1 }, reuse: false, requireKey: false },
  }
  return verifyArtifact(meta, wasm)
}

/** A store whose backing storage can be made full, and a look at what a failed write left behind. */
export interface FullDiskHarness {
  store: Store
  /** Makes every later write fail as on a full disk (true) or work again (false). */
  fill(full: boolean): void
  /** Temporary files or folders present in the backing storage. */
  leftovers(): Promise<string[]>
}

export function storeContract(label: string, makeStore: () => Promise<Store>, makeFullDisk?: () => Promise<FullDiskHarness>): void {
  describe(`Store contract: ${label}`, () => {
    it('lists and deletes artifacts', async () => {
      const store = await makeStore()
      const [a, b] = [fakeArtifact('f', 1), fakeArtifact('f', 2)]
      await store.putArtifact(a)
      await store.putArtifact(b)
      expect((await store.listArtifacts()).sort()).toEqual([a.meta.digest, b.meta.digest].sort())
      await store.deleteArtifact(a.meta.digest)
      await store.deleteArtifact(a.meta.digest) // nothing there: no error
      await store.deleteArtifact('../deployments')
      expect(await store.listArtifacts()).toEqual([b.meta.digest])
      expect(await store.getArtifact(a.meta.digest)).toBeUndefined()
      expect(await store.getArtifact(b.meta.digest)).toBeDefined()
      await store.close()
    })

    it.runIf(makeFullDisk)('refuses writes on a full disk with NO_SPACE, keeps the previous state and leaves nothing behind', async () => {
      const { store, fill, leftovers } = await makeFullDisk!()
      const config = fakeArtifact('f', 0).meta.config
      const v1 = { version: 1, digest: 'a'.repeat(64), deployedAt: '2026-01-01T00:00:00.000Z', config }
      await store.putDeployment({ name: 'f', current: 1, versions: [v1] })
      await store.appendLogs('f', [{ timeMs: 1, level: 'info', message: 'before', version: 1 }])
      fill(true)
      const code = (p: Promise<unknown>) => p.then(() => 'ok', (err: { code?: string; expose?: boolean; message: string }) => `${err.code} ${err.expose} ${/no space left on the data directory/.test(err.message)}`)
      expect(await code(store.putArtifact(fakeArtifact('f', 9)))).toBe('NO_SPACE true true')
      expect(await code(store.putDeployment({ name: 'f', current: 2, versions: [v1, { ...v1, version: 2 }] }))).toBe('NO_SPACE true true')
      expect(await code(store.appendLogs('f', [{ timeMs: 2, level: 'info', message: 'lost', version: 1 }]))).toBe('NO_SPACE true true')
      expect(await leftovers()).toEqual([])
      expect(await store.getArtifact(fakeArtifact('f', 9).meta.digest)).toBeUndefined()
      expect(await store.getDeployment('f')).toEqual({ name: 'f', current: 1, versions: [v1] })
      expect((await store.readLogs('f', 10)).map((r) => r.message)).toEqual(['before'])
      fill(false)
      await store.putArtifact(fakeArtifact('f', 9))
      expect(await store.getArtifact(fakeArtifact('f', 9).meta.digest)).toBeDefined()
      await store.close()
    })

    it('stores artifacts by digest and returns them verified', async () => {
      const store = await makeStore()
      const a = fakeArtifact('f', 1)
      expect(await store.getArtifact(a.meta.digest)).toBeUndefined()
      await store.putArtifact(a)
      await store.putArtifact(a) // idempotent
      const back = await store.getArtifact(a.meta.digest)
      expect(back?.meta).toEqual(a.meta)
      expect(Buffer.from(back!.wasm).equals(Buffer.from(a.wasm))).toBe(true)
      expect(await store.getArtifact('0'.repeat(64))).toBeUndefined()
      expect(await store.getArtifact('../../etc/passwd')).toBeUndefined()
      await store.close()
    })

    it('replaces, lists and deletes deployments', async () => {
      const store = await makeStore()
      expect(await store.listDeployments()).toEqual([])
      const config = fakeArtifact('beta', 0).meta.config
      const v1 = { version: 1, digest: 'a'.repeat(64), deployedAt: '2026-01-01T00:00:00.000Z', config }
      const v2 = { version: 2, digest: 'b'.repeat(64), deployedAt: '2026-01-02T00:00:00.000Z', config: { ...config, env: { A: 'b' } } }
      await store.putDeployment({ name: 'beta', current: 1, versions: [v1] })
      await store.putDeployment({ name: 'alpha', current: 1, versions: [v1] })
      await store.putDeployment({ name: 'beta', current: 2, versions: [v1, v2] })
      expect((await store.listDeployments()).map((d) => [d.name, d.current])).toEqual([['alpha', 1], ['beta', 2]])
      expect(await store.getDeployment('beta')).toEqual({ name: 'beta', current: 2, versions: [v1, v2] })
      expect(await store.deleteDeployment('beta')).toBe(true)
      expect(await store.deleteDeployment('beta')).toBe(false)
      expect(await store.getDeployment('beta')).toBeUndefined()
      expect(await store.getDeployment('../x')).toBeUndefined()
      await store.close()
    })

    it('keeps logs in order, returns the newest, and drops them with the deployment', async () => {
      const store = await makeStore()
      await store.putDeployment({ name: 'f', current: 1, versions: [{ version: 1, digest: 'a'.repeat(64), deployedAt: '2026-01-01T00:00:00.000Z', config: fakeArtifact('f', 0).meta.config }] })
      for (let i = 0; i < 5; i++) await store.appendLogs('f', [{ timeMs: i, level: 'info', message: `line ${i}`, version: 1 }])
      expect((await store.readLogs('f', 3)).map((r) => r.message)).toEqual(['line 2', 'line 3', 'line 4'])
      expect(await store.readLogs('nobody', 3)).toEqual([])
      await store.deleteDeployment('f')
      expect(await store.readLogs('f', 3)).toEqual([])
      await store.close()
    })
  })
}
