// One artifact as one blob (object-store object, host cache file): a length-prefixed JSON head
// (meta and the sizes of the parts) followed by the wasm and the derived parts. Decoding verifies:
// the caller passes the runtime's verifyArtifact, which checks sha256(wasm) against meta.digest.
import { JaegisError, type Artifact } from '@jaegis/runtime'

interface Head {
  meta: Artifact['meta']
  wasmBytes: number
  /** [file name, bytes] of each derived part, in the order they follow the wasm. */
  parts: Array<[string, number]>
}

export function encodeArtifact(a: Artifact): Uint8Array {
  const parts = Object.entries(a.files ?? {})
  const head: Head = { meta: a.meta, wasmBytes: a.wasm.length, parts: parts.map(([n, b]) => [n, b.length]) }
  const headBytes = Buffer.from(JSON.stringify(head))
  const out = Buffer.allocUnsafe(4 + headBytes.length + a.wasm.length + parts.reduce((s, [, b]) => s + b.length, 0))
  out.writeUInt32BE(headBytes.length, 0)
  let at = 4
  at += headBytes.copy(out, at)
  out.set(a.wasm, at)
  at += a.wasm.length
  for (const [, b] of parts) {
    out.set(b, at)
    at += b.length
  }
  return out
}

export function decodeArtifact<T extends Artifact | Promise<Artifact>>(blob: Uint8Array, verify: (meta: unknown, wasm: Uint8Array, files?: Record<string, Uint8Array>) => T): T {
  const bad = (why: string) => new JaegisError('INVALID_ARTIFACT', `invalid artifact blob: ${why}`)
  const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength)
  if (buf.length < 4) throw bad('too short')
  const headLen = buf.readUInt32BE(0)
  if (4 + headLen > buf.length) throw bad('head runs past the end')
  let head: Head
  try {
    head = JSON.parse(buf.subarray(4, 4 + headLen).toString('utf8')) as Head
  } catch (err) {
    throw bad(`unreadable head (${(err as Error).message})`)
  }
  let at = 4 + headLen
  const take = (n: number) => {
    if (!Number.isInteger(n) || n < 0 || at + n > buf.length) throw bad('a part runs past the end')
    const b = new Uint8Array(buf.subarray(at, at + n))
    at += n
    return b
  }
  const wasm = take(head.wasmBytes)
  const files: Record<string, Uint8Array> = {}
  for (const [name, n] of head.parts ?? []) files[name] = take(n)
  if (at !== buf.length) throw bad('trailing bytes')
  return verify(head.meta, wasm, head.parts?.length ? files : undefined)
}
