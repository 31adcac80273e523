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

export function storeContract(label: string, makeStore: () => Promise<Store>): void {
  describe(`Store contract: ${label}`, () => {
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
