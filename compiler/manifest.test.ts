// Golden tests: each manifest-ui/<case>.toml must fail with exactly the message in <case>.err.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MANIFEST_DEFAULTS, parseManifest } from './manifest.js'

const dir = join(import.meta.dirname, 'manifest-ui')
const cases = readdirSync(dir).filter((f) => f.endsWith('.toml')).map((f) => f.slice(0, -5))

describe('manifest errors (golden)', () => {
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(10))
  for (const name of cases) {
    it(name, () => {
      const toml = readFileSync(join(dir, `${name}.toml`), 'utf8')
      const expected = readFileSync(join(dir, `${name}.err`), 'utf8').trim()
      expect(() => parseManifest(toml)).toThrow(expected)
      try {
        parseManifest(toml)
      } catch (err) {
        expect((err as Error).message).toBe(expected)
        expect((err as { code: string }).code).toBe('INVALID_MANIFEST')
      }
    })
  }
})

describe('manifest values', () => {
  it('applies documented defaults', () => {
    const { config, entry } = parseManifest('name = "f"\n')
    expect(entry).toBe('assembly/index.ts')
    expect(config.limits).toEqual({ memoryBytes: 32 * 1048576, timeoutMs: 5000, bodyBytes: 6 * 1048576, maxConcurrency: 0, maxQueue: 1000 })
    expect(MANIFEST_DEFAULTS.maxQueue).toBe(1000)
    expect(config.pool).toEqual({ minWarm: 1, maxWarm: 16 })
    expect(config.reuse).toBe(false)
    expect(config.requireKey).toBe(false)
    expect(config.env).toEqual({})
  })

  it('reads every field', () => {
    const { config } = parseManifest(`name = "api-v2"
route = "/api"
[limits]
memory_mib = 64
timeout_ms = 250
body_bytes = 1024
max_concurrency = 8
max_queue = 0
[env]
MODE = "prod"
[pool]
min_warm = 0
max_warm = 3
[instance]
reuse = true
[auth]
require_key = true
`)
    expect(config).toEqual({
      name: 'api-v2',
      route: '/api',
      limits: { memoryBytes: 64 * 1048576, timeoutMs: 250, bodyBytes: 1024, maxConcurrency: 8, maxQueue: 0 },
      env: { MODE: 'prod' },
      pool: { minWarm: 0, maxWarm: 3 },
      reuse: true,
      requireKey: true,
    })
  })
})
