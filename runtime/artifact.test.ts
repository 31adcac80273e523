// Golden tests: each artifact-ui/<case>.json (an artifact.json without digest and size) must be refused
// with exactly the message in <case>.err, and the limits added after the first artifacts take defaults.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { LIMITS } from '@jaegis/artifact'
import { verifyArtifact } from './artifact.js'
import { sha256Hex } from './module-cache.js'

const dir = join(import.meta.dirname, 'artifact-ui')
const cases = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5))
const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
const withDigest = (meta: object) => ({ ...meta, digest: sha256Hex(WASM), sizeBytes: WASM.length })
const VALID = { abi: 1, kind: 'core', config: { name: 'f', limits: { memoryBytes: 1 << 20, timeoutMs: 1000, bodyBytes: 1024 }, env: {}, pool: { minWarm: 1, maxWarm: 4 }, reuse: false, requireKey: false } }

describe('artifact errors (golden)', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(15))
  for (const name of cases) {
    it(name, () => {
      const meta = withDigest(JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')))
      const expected = readFileSync(join(dir, `${name}.err`), 'utf8').trim()
      let thrown: unknown
      try {
        verifyArtifact(meta, WASM)
      } catch (err) {
        thrown = err
      }
      expect((thrown as Error | undefined)?.message).toBe(expected)
      expect((thrown as { code?: string }).code).toBe('INVALID_ARTIFACT')
    })
  }
})

describe('artifact config', () => {
  it('gives an old artifact without maxConcurrency and maxQueue their defaults', () => {
    const { meta } = verifyArtifact(withDigest(VALID), WASM)
    expect(meta.config.limits).toEqual({ memoryBytes: 1 << 20, timeoutMs: 1000, bodyBytes: 1024, maxConcurrency: 0, maxQueue: 1000 })
    expect(LIMITS.maxConcurrency.default).toBe(0)
  })

  it('keeps maxConcurrency and maxQueue an artifact sets', () => {
    const meta = withDigest({ ...VALID, config: { ...VALID.config, limits: { ...VALID.config.limits, maxConcurrency: 10_000, maxQueue: 0 } } })
    expect(verifyArtifact(meta, WASM).meta.config.limits).toMatchObject({ maxConcurrency: 10_000, maxQueue: 0 })
  })

  it('accepts a route that only shares letters with a reserved prefix', () => {
    for (const route of ['/fnord', '/metricsx', '/api', '/_apis/v1', '/health']) {
      const meta = withDigest({ ...VALID, config: { ...VALID.config, route } })
      expect(verifyArtifact(meta, WASM).meta.config.route).toBe(route)
    }
  })

  it('refuses artifact.json values that cannot be turned into strings with its own error (found by fuzzing)', () => {
    // JSON.parse gives an object whose own toString is an array: String() of it throws a TypeError.
    const hostile = JSON.parse('{"toString": []}')
    const cases: Array<[object, string, RegExp]> = [
      [{ ...VALID, abi: hostile }, 'ABI_MISMATCH', /^artifact was built for Jaegis ABI v\{"toString":\[\]\}; this runtime speaks v1$/],
      [{ ...withDigest(VALID), digest: hostile }, 'INVALID_ARTIFACT', /digest mismatch: artifact\.json says \{"toString":\[\]\}/],
      [{ ...withDigest(VALID), kind: hostile }, 'INVALID_ARTIFACT', /unsupported kind \{"toString":\[\]\}/],
    ]
    for (const [meta, code, message] of cases) {
      let thrown: unknown
      try {
        verifyArtifact(meta, WASM)
      } catch (err) {
        thrown = err
      }
      expect((thrown as { code?: string }).code, String(thrown)).toBe(code)
      expect((thrown as Error).message).toMatch(message)
    }
  })
})
