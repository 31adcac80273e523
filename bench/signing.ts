// npm run bench:signing — artifact signatures (artifact/signing): key generation and loading, sign
// and verify times (each half and the whole check), and the sizes of keys and signatures; beside
// them, what the runtime spends preparing the same artifact (host-cold compile), for scale.
import { createHash, sign as edSign, verify as edVerify } from 'node:crypto'
import { join } from 'node:path'
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js'
import { checkArtifactSignature, decodePrivateKey, encodePrivateKey, encodePublicKey, generateSigningKey, signArtifact, signedMessage, SIGNED_MESSAGE_DOMAIN } from '@jaegis/artifact'
import { createRuntime, LruModuleCache, readArtifactSync } from '@jaegis/runtime'
import { isMain, percentile, printResult, projectRoot, round } from './util.js'

function time(n: number, fn: () => void): { p50: number; p99: number } {
  for (let i = 0; i < Math.min(20, n); i++) fn() // warm the JIT
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    fn()
    ms.push(performance.now() - t0)
  }
  return { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)) }
}

export async function run(): Promise<Record<string, number>> {
  const n = Number(process.env.BENCH_SIGNING_N ?? 300)
  const hello = readArtifactSync(join(projectRoot(), 'build', 'functions', 'hello'))
  const { signature: _s, ...meta } = hello.meta
  const key = generateSigningKey()
  const keyFile = encodePrivateKey(key)
  const trust = new Map([[key.publicKey.keyId, key.publicKey]])
  const sig = signArtifact(key, hello.meta.digest, meta)
  const signedMeta = { ...meta, signature: sig }
  const msg = signedMessage(key.publicKey.keyId, hello.meta.digest, meta)
  const ctx = { context: new TextEncoder().encode(SIGNED_MESSAGE_DOMAIN) }
  const mlSig = ml_dsa65.sign(msg, key.mlDsa65Secret, ctx)
  const edSig = edSign(null, msg, key.ed25519Key)

  const keygen = time(Math.ceil(n / 3), () => generateSigningKey())
  const load = time(Math.ceil(n / 3), () => decodePrivateKey(keyFile, 'bench'))
  const sign = time(n, () => signArtifact(key, hello.meta.digest, meta))
  const signMl = time(n, () => ml_dsa65.sign(msg, key.mlDsa65Secret, ctx))
  const signEd = time(n, () => edSign(null, msg, key.ed25519Key))
  const verify = time(n, () => checkArtifactSignature(signedMeta, hello.meta.digest, { trust, requireSigned: true }))
  const verifyMl = time(n, () => ml_dsa65.verify(mlSig, msg, key.publicKey.mlDsa65, ctx))
  const verifyEd = time(n, () => edVerify(null, msg, key.publicKey.ed25519Key, edSig))
  const hash = time(n, () => createHash('sha256').update(hello.wasm).digest('hex'))
  // Host-cold prepare of the same artifact (fresh module cache each time): what a verify is added to.
  const prepare = time(Math.ceil(n / 10), () => {
    const runtime = createRuntime({ moduleCache: new LruModuleCache() })
    runtime.discard(runtime.prepare(hello))
    runtime.close()
  })
  return {
    keygen_p50_ms: keygen.p50,
    key_load_p50_ms: load.p50,
    sign_p50_ms: sign.p50,
    sign_p99_ms: sign.p99,
    sign_mldsa65_p50_ms: signMl.p50,
    sign_ed25519_p50_ms: signEd.p50,
    verify_p50_ms: verify.p50,
    verify_p99_ms: verify.p99,
    verify_mldsa65_p50_ms: verifyMl.p50,
    verify_ed25519_p50_ms: verifyEd.p50,
    sha256_hello_wasm_p50_ms: hash.p50,
    hello_wasm_bytes: hello.wasm.byteLength,
    runtime_prepare_hello_cold_p50_ms: prepare.p50,
    mldsa65_public_key_bytes: key.publicKey.mlDsa65.byteLength,
    ed25519_public_key_bytes: key.publicKey.ed25519.byteLength,
    mldsa65_signature_bytes: mlSig.byteLength,
    ed25519_signature_bytes: edSig.byteLength,
    public_key_line_bytes: Buffer.byteLength(encodePublicKey(key.publicKey, '')),
    private_key_file_bytes: Buffer.byteLength(keyFile),
    artifact_json_signature_bytes: Buffer.byteLength(JSON.stringify({ signature: sig })) - 2,
    iterations: n,
  }
}

if (isMain(import.meta.url)) printResult(await run())
