// Signed artifacts through the admin API and the embedding API: what a server with a trust list
// (with and without require-signed) accepts and refuses, that a refused upload stores nothing, that
// the signature travels through the store to a restart, and that the runtime checks before compiling.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey, signArtifact, type ArtifactSignature, type SignaturePolicy, type SigningKey } from '../artifact/index.js'
import { buildAnyFunction, signArtifactFolder } from '../compiler/index.js'
import { createRuntime, LruModuleCache, sha256Hex, type Artifact, type ArtifactMeta } from '../runtime/index.js'
import { startServer, type JaegisServer } from '../server/index.js'
import { buildFunction, ROOT } from './helpers.js'

const TOKEN = 'test-token'
const alice = generateSigningKey()
const mallory = generateSigningKey()
const trust = new Map([[alice.publicKey.keyId, alice.publicKey]])
const REQUIRED: SignaturePolicy = { trust, requireSigned: true }

/** hello as built, signed by alice through the compiler's signing step (artifact.json as written). */
let hello: Artifact
let signedMeta: ArtifactMeta & { signature: ArtifactSignature }
let unsignedMeta: ArtifactMeta

beforeAll(async () => {
  const built = await buildFunction('hello')
  unsignedMeta = JSON.parse(readFileSync(join(built.outDir, 'artifact.json'), 'utf8'))
  hello = await signArtifactFolder(built.outDir, built.artifact, alice)
  signedMeta = JSON.parse(readFileSync(join(built.outDir, 'artifact.json'), 'utf8'))
  expect(signedMeta.signature.keyId).toBe(alice.publicKey.keyId)
})

function flipped(): Uint8Array {
  const w = hello.wasm.slice()
  w[w.length - 10]! ^= 1
  return w
}
const resign = (key: SigningKey, wasm: Uint8Array, meta: object) => signArtifact(key, sha256Hex(wasm), meta)
const withoutSig = ({ signature: _s, ...m }: ArtifactMeta) => m

/** Each way of tampering, as the artifact.json and module.wasm uploaded. */
function cases(): Record<string, { meta: object; wasm: Uint8Array }> {
  const w = flipped()
  const { mlDsa65: _m, ...noMlDsa } = signedMeta.signature
  const { ed25519: _e, ...noEd } = signedMeta.signature
  const { mlDsa65: _m2, ed25519: _e2, ...neither } = signedMeta.signature
  return {
    unsigned: { meta: unsignedMeta, wasm: hello.wasm },
    'flipped byte, digest fixed': { meta: { ...signedMeta, digest: sha256Hex(w) }, wasm: w },
    'signature over another digest': { meta: { ...signedMeta, signature: resign(alice, w, withoutSig({ ...signedMeta, digest: sha256Hex(w) })) }, wasm: hello.wasm },
    'config changed under the signature': { meta: { ...signedMeta, config: { ...signedMeta.config, limits: { ...signedMeta.config.limits, timeoutMs: 60_000 } } }, wasm: hello.wasm },
    'ML-DSA half stripped': { meta: { ...signedMeta, signature: noMlDsa }, wasm: hello.wasm },
    'Ed25519 half stripped': { meta: { ...signedMeta, signature: noEd }, wasm: hello.wasm },
    'both halves stripped': { meta: { ...signedMeta, signature: neither }, wasm: hello.wasm },
    'wrong key (mallory signs, claims alice)': { meta: { ...signedMeta, signature: { ...resign(mallory, hello.wasm, unsignedMeta), keyId: alice.publicKey.keyId, publicKey: signedMeta.signature.publicKey } }, wasm: hello.wasm },
    'untrusted key': { meta: { ...signedMeta, signature: resign(mallory, hello.wasm, unsignedMeta) }, wasm: hello.wasm },
  }
}

function form(meta: object, wasm: Uint8Array): FormData {
  const f = new FormData()
  f.set('artifact', new Blob([JSON.stringify(meta)]), 'artifact.json')
  f.set('wasm', new Blob([wasm as Uint8Array<ArrayBuffer>]), 'module.wasm')
  return f
}

async function upload(server: JaegisServer, meta: object, wasm: Uint8Array): Promise<{ status: number; code?: string; message?: string }> {
  const res = await fetch(server.url + '/_api/v1/functions', { method: 'POST', body: form(meta, wasm), headers: { authorization: `Bearer ${TOKEN}` } })
  const body = (await res.json()) as { error?: { code: string; message: string } }
  return { status: res.status, ...(body.error ? { code: body.error.code, message: body.error.message } : {}) }
}

const servers: JaegisServer[] = []
async function serve(signatures: SignaturePolicy | undefined, dataDir = mkdtempSync(join(tmpdir(), 'jaegis-signing-'))): Promise<JaegisServer> {
  const s = await startServer({ port: 0, dataDir, token: TOKEN, autoscale: false, lanes: false, onError: () => {}, ...(signatures ? { signatures } : {}) })
  servers.push(s)
  return s
}
afterAll(async () => {
  for (const s of servers) await s.close(1000).catch(() => {})
})

describe('a server with --trust and --require-signed', () => {
  let server: JaegisServer
  beforeAll(async () => {
    server = await serve(REQUIRED)
  })

  it('refuses every unsigned or tampered upload with a 4xx and a stable code, and stores nothing', async () => {
    const got: Record<string, string> = {}
    for (const [name, c] of Object.entries(cases())) {
      const r = await upload(server, c.meta, c.wasm)
      got[name] = `${r.status} ${r.code}`
    }
    expect(got).toEqual({
      unsigned: '403 SIGNATURE_REQUIRED',
      'flipped byte, digest fixed': '400 SIGNATURE_INVALID',
      'signature over another digest': '400 SIGNATURE_INVALID',
      'config changed under the signature': '400 SIGNATURE_INVALID',
      'ML-DSA half stripped': '400 SIGNATURE_INVALID',
      'Ed25519 half stripped': '400 SIGNATURE_INVALID',
      'both halves stripped': '400 SIGNATURE_INVALID',
      'wrong key (mallory signs, claims alice)': '400 SIGNATURE_INVALID',
      'untrusted key': '403 UNTRUSTED_KEY',
    })
    // A flipped byte with artifact.json untouched never reaches the signature: the digest does not match.
    expect(await upload(server, signedMeta, flipped())).toMatchObject({ status: 400, code: 'INVALID_ARTIFACT' })
    expect(await server.store.listArtifacts()).toEqual([])
    expect(await server.store.listDeployments()).toEqual([])
    expect((await fetch(`${server.url}/fn/hello?name=x`)).status).toBe(404)
  })

  it('checks a component upload before the server derives anything from it (jco would run first)', async () => {
    // Not wasm at all: had the server transpiled it before checking, the answer would be a compile error.
    const junk = new TextEncoder().encode('not a component')
    const meta = { abi: 1, kind: 'component', digest: sha256Hex(junk), sizeBytes: junk.length, config: unsignedMeta.config, component: { world: 'http', allowedOutboundHosts: [], files: [] } }
    expect(await upload(server, meta, junk)).toMatchObject({ status: 403, code: 'SIGNATURE_REQUIRED' })
    expect(await upload(server, { ...meta, signature: resign(mallory, junk, meta) }, junk)).toMatchObject({ status: 403, code: 'UNTRUSTED_KEY' })
    expect(await upload(server, { ...meta, signature: resign(alice, junk, { ...meta, component: { ...meta.component, allowedOutboundHosts: ['*'] } }) }, junk)).toMatchObject({ status: 400, code: 'SIGNATURE_INVALID' })
    // Signed by a trusted key, it gets as far as the compiler, which refuses the bytes.
    expect((await upload(server, { ...meta, signature: resign(alice, junk, meta) }, junk)).code).not.toMatch(/SIGNATURE|UNTRUSTED/)
    expect(await server.store.listArtifacts()).toEqual([])
  })

  it('says why in words a user can act on', async () => {
    const c = cases()
    expect((await upload(server, c.unsigned!.meta, c.unsigned!.wasm)).message).toMatch(/is not signed, and this host requires signed artifacts \(sign it with jaegis build --sign-key <file>\)/)
    expect((await upload(server, c['untrusted key']!.meta, hello.wasm)).message).toContain(`signed by key ${mallory.publicKey.keyId}, which is not on this host's trust list`)
    expect((await upload(server, c['flipped byte, digest fixed']!.meta, c['flipped byte, digest fixed']!.wasm)).message).toMatch(/the ML-DSA-65 and Ed25519 signature does not verify/)
  })

  it('deploys and serves an artifact signed by a trusted key; a tampered re-upload of the serving digest is still refused', async () => {
    expect(await upload(server, signedMeta, hello.wasm)).toEqual({ status: 201 })
    expect(await (await fetch(`${server.url}/fn/hello?name=signed`)).text()).toBe('Hello, signed!\n')
    const c = cases()
    expect(await upload(server, c['Ed25519 half stripped']!.meta, hello.wasm)).toMatchObject({ status: 400, code: 'SIGNATURE_INVALID' })
    expect(await upload(server, unsignedMeta, hello.wasm)).toMatchObject({ status: 403, code: 'SIGNATURE_REQUIRED' })
    expect((await server.store.getDeployment('hello'))!.versions).toHaveLength(1)
  })
})

describe('without --require-signed', () => {
  it('with a trust list: accepts unsigned artifacts, refuses bad signatures and untrusted keys', async () => {
    const server = await serve({ trust })
    const c = cases()
    const refusals = Object.fromEntries(await Promise.all(Object.entries(c).filter(([n]) => n !== 'unsigned').map(async ([n, x]) => [n, (await upload(server, x.meta, x.wasm)).code])))
    expect(Object.values(refusals).every((code) => code === 'SIGNATURE_INVALID' || code === 'UNTRUSTED_KEY'), JSON.stringify(refusals)).toBe(true)
    expect(refusals['untrusted key']).toBe('UNTRUSTED_KEY')
    expect(await server.store.listArtifacts()).toEqual([])
    expect(await upload(server, unsignedMeta, hello.wasm)).toEqual({ status: 201 })
  })

  it('with no trust list at all: a present signature must still verify (against the key it carries)', async () => {
    const server = await serve(undefined)
    const c = cases()
    for (const name of ['flipped byte, digest fixed', 'signature over another digest', 'config changed under the signature', 'Ed25519 half stripped', 'wrong key (mallory signs, claims alice)']) {
      expect(await upload(server, c[name]!.meta, c[name]!.wasm), name).toMatchObject({ status: 400, code: 'SIGNATURE_INVALID' })
    }
    expect(await server.store.listArtifacts()).toEqual([])
    expect(await upload(server, signedMeta, hello.wasm)).toEqual({ status: 201 })
  })
})

describe('the signature travels with the deployment', () => {
  it('is checked again at restart: a key taken off the trust list stops the function loading, the same key loads it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jaegis-signing-restart-'))
    const first = await serve(REQUIRED, dataDir)
    expect(await upload(first, signedMeta, hello.wasm)).toEqual({ status: 201 })
    await first.close(1000)

    const revoked = await serve({ trust: new Map([[mallory.publicKey.keyId, mallory.publicKey]]), requireSigned: true }, dataDir)
    expect(revoked.runtime.has('hello')).toBe(false)
    expect((await fetch(`${revoked.url}/fn/hello`)).status).toBe(404)
    await revoked.close(1000)

    const again = await serve(REQUIRED, dataDir)
    expect(again.runtime.has('hello')).toBe(true)
    expect(await (await fetch(`${again.url}/fn/hello?name=back`)).text()).toBe('Hello, back!\n')
  })
})

describe('a signed WASI module (a non-core kind: the server derives its parts)', () => {
  it('is signed by the build, accepted under require-signed, served, and still loads after a restart', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'jaegis-signed-wagi-')), 'wagi')
    cpSync(join(ROOT, 'test', 'fixtures', 'components', 'third-party', 'wagi-test.wasm'), join(dir, 'wagi-test.wasm'))
    writeFileSync(join(dir, 'jaegis.toml'), 'name = "wagi"\nlanguage = "wasm"\nentry = "wagi-test.wasm"\n')
    const built = await buildAnyFunction(dir, { signingKey: alice })
    const meta = JSON.parse(readFileSync(join(built.outDir, 'artifact.json'), 'utf8'))
    expect(meta.signature.keyId).toBe(alice.publicKey.keyId)
    const dataDir = mkdtempSync(join(tmpdir(), 'jaegis-signing-wagi-'))
    const first = await serve(REQUIRED, dataDir)
    expect(await upload(first, { ...meta, component: { ...meta.component, allowedOutboundHosts: ['https://example.com'] } }, built.artifact.wasm)).toMatchObject({ status: 400, code: 'SIGNATURE_INVALID' })
    expect(await upload(first, meta, built.artifact.wasm)).toEqual({ status: 201 })
    expect((await fetch(`${first.url}/fn/wagi/x`)).status).toBe(200)
    await first.close(1000)
    const again = await serve(REQUIRED, dataDir)
    expect(again.runtime.has('wagi')).toBe(true)
  })
})

describe('the embedding API (Runtime)', () => {
  it('checks the signature before compiling: a refused artifact leaves nothing in the module cache', () => {
    const moduleCache = new LruModuleCache()
    const runtime = createRuntime({ signatures: REQUIRED, moduleCache })
    try {
      for (const [name, c] of Object.entries(cases())) {
        const artifact = { meta: { ...(c.meta as ArtifactMeta), digest: sha256Hex(c.wasm) }, wasm: c.wasm }
        expect(() => runtime.load(artifact), name).toThrow(expect.objectContaining({ code: expect.stringMatching(/^(SIGNATURE_REQUIRED|SIGNATURE_INVALID|UNTRUSTED_KEY)$/) }))
      }
      expect(moduleCache.entriesWithPrefix('')).toEqual([])
      expect(runtime.has('hello')).toBe(false)
      // The digest is hashed from the bytes: an artifact object whose meta.digest lies does not help.
      expect(() => runtime.load({ meta: hello.meta, wasm: flipped() })).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }))
      runtime.load(hello)
      expect(runtime.has('hello')).toBe(true)
    } finally {
      runtime.close()
    }
  })

  it('with no policy given, still refuses a present signature that does not verify', () => {
    const runtime = createRuntime()
    try {
      expect(() => runtime.load({ meta: { ...hello.meta, config: { ...hello.meta.config, reuse: true } }, wasm: hello.wasm })).toThrow(expect.objectContaining({ code: 'SIGNATURE_INVALID' }))
      runtime.load({ meta: withoutSig(hello.meta) as ArtifactMeta, wasm: hello.wasm })
      expect(runtime.has('hello')).toBe(true)
    } finally {
      runtime.close()
    }
  })
})
