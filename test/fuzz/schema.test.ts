// Property tests of the function-configuration schema: whatever a manifest parser accepts, the artifact
// check accepts too (one schema, no drift); garbage manifests and artifact.json files are refused with
// INVALID_MANIFEST / INVALID_ARTIFACT and a message, never another error; reserved paths never pass.
import fc from 'fast-check'
import { stringify } from 'smol-toml'
import { describe, expect, it } from 'vitest'
import { LIMITS, POOL_LIMITS, RESERVED_ROUTE_PREFIXES, checkFunctionConfig, isReservedPath, routeProblem } from '../../artifact/index.js'
import { parseManifest } from '../../compiler/index.js'
import { isJaegisError, sha256Hex, verifyArtifact } from '../../runtime/index.js'
import { FUZZ_RUNS } from '../fuzz-runs.js'

function refusedWith(code: string, fn: () => unknown): boolean {
  try {
    fn()
    return false
  } catch (err) {
    expect(isJaegisError(err), String(err)).toBe(true)
    expect((err as { code: string }).code).toBe(code)
    expect((err as Error).message.length).toBeGreaterThan(0)
    return true
  }
}

/** Around a range's edges, and anything else. */
const near = (r: { min: number; max: number }) => fc.oneof(fc.integer({ min: r.min - 2, max: r.min + 2 }), fc.integer({ min: r.max - 2, max: r.max + 2 }), fc.integer({ min: r.min, max: r.max }), fc.double(), fc.string({ maxLength: 4 }), fc.boolean())
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined, freq: 3 })
const segment = fc.oneof(fc.constantFrom('_api', 'healthz', 'readyz', 'metrics', 'fn', '_dashboard', 'fnord', 'api', 'v1', '.', '..', '', 'a b', 'x?y', 'é'), fc.string({ maxLength: 6 }))
const routeArb = fc.oneof(fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => '/' + s.join('/')), fc.string({ maxLength: 12 }))

const manifestDoc = fc.record({
  name: maybe(fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,70}$/), fc.string({ maxLength: 10 }), fc.integer())),
  route: maybe(routeArb),
  limits: maybe(fc.record({
    memory_mib: maybe(near(LIMITS.memoryMib)),
    timeout_ms: maybe(near(LIMITS.timeoutMs)),
    body_bytes: maybe(near(LIMITS.bodyBytes)),
    max_concurrency: maybe(near(LIMITS.maxConcurrency)),
    max_queue: maybe(near(LIMITS.maxQueue)),
  }, { requiredKeys: [] })),
  pool: maybe(fc.record({ min_warm: maybe(near(POOL_LIMITS.minWarm)), max_warm: maybe(near(POOL_LIMITS.maxWarm)) }, { requiredKeys: [] })),
  env: maybe(fc.dictionary(fc.oneof(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,6}$/), fc.string({ maxLength: 4 })), fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { maxKeys: 3 })),
  instance: maybe(fc.record({ reuse: maybe(fc.oneof(fc.boolean(), fc.string({ maxLength: 3 }))) }, { requiredKeys: [] })),
  auth: maybe(fc.record({ require_key: maybe(fc.oneof(fc.boolean(), fc.integer())) }, { requiredKeys: [] })),
}, { requiredKeys: [] })

const WASM = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])
const metaOf = (config: unknown) => ({ abi: 1, kind: 'core', digest: sha256Hex(WASM), sizeBytes: WASM.length, config })

describe('one schema for manifests and artifacts', () => {
  it('every config a manifest yields is a valid artifact config; every refusal is INVALID_MANIFEST', () => {
    fc.assert(
      fc.property(manifestDoc, (doc) => {
        const clean = JSON.parse(JSON.stringify(doc)) as Record<string, unknown> // drops undefined fields
        let text: string
        try {
          text = stringify(clean)
        } catch {
          return // not representable in TOML (e.g. NaN is, but some doubles are not): nothing to test
        }
        let config
        try {
          config = parseManifest(text).config
        } catch (err) {
          expect(isJaegisError(err) && (err as { code: string }).code, String(err)).toBe('INVALID_MANIFEST')
          expect((err as Error).message).toMatch(/^jaegis\.toml(:\d+:\d+)?: /)
          return
        }
        const checked = checkFunctionConfig(config)
        expect(checked.problem).toBeUndefined()
        expect(checked.config).toEqual(config)
        expect(verifyArtifact(metaOf(config), WASM).meta.config).toEqual(config)
        if (config.route !== undefined) expect(isReservedPath(config.route)).toBe(false)
      }),
      { numRuns: FUZZ_RUNS(1000) },
    )
  })

  it('garbage manifest text is refused with INVALID_MANIFEST, never another error', () => {
    const valid = 'name = "f"\nroute = "/x"\n[limits]\nmemory_mib = 16\ntimeout_ms = 100\n[pool]\nmin_warm = 0\nmax_warm = 2\n[env]\nA = "b"\n'
    const mutated = fc.tuple(fc.nat(valid.length), fc.nat(8), fc.string({ maxLength: 8 })).map(([at, cut, ins]) => valid.slice(0, at) + ins + valid.slice(at + cut))
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 40 })), (text) => {
        try {
          const { config } = parseManifest(text)
          expect(checkFunctionConfig(config).problem).toBeUndefined()
        } catch (err) {
          expect(isJaegisError(err) && (err as { code: string }).code, String(err)).toBe('INVALID_MANIFEST')
        }
      }),
      { numRuns: FUZZ_RUNS(1000) },
    )
  })

  it('an artifact.json of any shape is accepted only when valid, else refused with INVALID_ARTIFACT or ABI_MISMATCH', () => {
    const configArb = fc.oneof(
      fc.anything(),
      fc.record({
        name: fc.oneof(fc.constant('f'), fc.anything()),
        route: maybe(routeArb),
        limits: fc.oneof(fc.record({ memoryBytes: fc.oneof(fc.constant(1 << 20), near({ min: 1 << 20, max: 2 ** 32 })), timeoutMs: near(LIMITS.timeoutMs), bodyBytes: near(LIMITS.bodyBytes), maxConcurrency: maybe(near(LIMITS.maxConcurrency)), maxQueue: maybe(near(LIMITS.maxQueue)) }, { requiredKeys: [] }), fc.anything()),
        env: fc.oneof(fc.constant({}), fc.dictionary(fc.string({ maxLength: 4 }), fc.anything(), { maxKeys: 2 }), fc.anything()),
        pool: fc.oneof(fc.record({ minWarm: near(POOL_LIMITS.minWarm), maxWarm: near(POOL_LIMITS.maxWarm) }), fc.anything()),
        reuse: fc.oneof(fc.boolean(), fc.anything()),
        requireKey: fc.oneof(fc.boolean(), fc.anything()),
      }, { requiredKeys: [] }),
    )
    const metaArb = fc.oneof(configArb.map(metaOf), fc.anything(), fc.record({ abi: fc.anything(), kind: fc.anything(), digest: fc.anything(), config: configArb }, { requiredKeys: [] }))
    fc.assert(
      fc.property(metaArb, (meta) => {
        let artifact
        try {
          artifact = verifyArtifact(meta, WASM)
        } catch (err) {
          expect(isJaegisError(err) && ['INVALID_ARTIFACT', 'ABI_MISMATCH'].includes((err as { code: string }).code), String(err)).toBe(true)
          expect(checkFunctionConfig((meta as { config?: unknown } | null)?.config).problem === undefined && (meta as { abi?: unknown }).abi === 1 && (meta as { kind?: unknown }).kind === 'core' && (meta as { digest?: unknown }).digest === sha256Hex(WASM)).toBe(false)
          return
        }
        // Accepted: verifying what came out again changes nothing, and a route is never reserved.
        expect(verifyArtifact(artifact.meta, WASM).meta).toEqual(artifact.meta)
        if (artifact.meta.config.route !== undefined) expect(isReservedPath(artifact.meta.config.route)).toBe(false)
      }),
      { numRuns: FUZZ_RUNS(1000) },
    )
  })

  it('no route under a reserved prefix is ever valid', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RESERVED_ROUTE_PREFIXES), fc.array(segment, { maxLength: 3 }), (prefix, rest) => {
        const route = [prefix, ...rest].join('/')
        expect(routeProblem(route)).toBeDefined()
      }),
      { numRuns: FUZZ_RUNS(500) },
    )
  })
})
