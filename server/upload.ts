// A deploy upload, read as it arrives: multipart/form-data with parts "artifact" (artifact.json) and
// "wasm" (module.wasm). The wasm goes to a temporary file and is hashed on the way; the body is
// refused past the size limit without being held; a client that goes away mid-body is not an error.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readdirSync, rmSync } from 'node:fs'
import { open, readFile, rm, type FileHandle } from 'node:fs/promises'
import type { IncomingMessage } from 'node:http'
import { join } from 'node:path'
import { prepareUploadedArtifactOffThread, type AllowedFolder } from '@jaegis/compiler'
import { ClientGoneError, clientGone } from '@jaegis/gateway'
import { JaegisError, verifyArtifact, verifyOffThread, type Artifact, type ArtifactMeta, type SignaturePolicy } from '@jaegis/runtime'
import { multipartBoundary, readMultipart } from './multipart.js'
import { diskError } from './store/fs.js'

/** Largest upload when `jaegis serve --max-upload` does not say. */
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024

/** Largest artifact.json part: configuration, not code. */
const MAX_META_BYTES = 1024 * 1024

const TMP_PREFIX = '.tmp-'

export function tooLarge(maxBytes: number): JaegisError {
  return new JaegisError('BODY_TOO_LARGE', `artifact upload is over the server's limit of ${maxBytes} bytes (jaegis serve --max-upload)`)
}

/** Where uploads are spooled; temporary files a killed process left there are removed now. */
export function prepareUploadDir(dir: string): string {
  mkdirSync(dir, { recursive: true })
  for (const e of readdirSync(dir)) if (e.startsWith(TMP_PREFIX)) rmSync(join(dir, e), { recursive: true, force: true })
  return dir
}

/** Reads, spools and verifies one upload. The temporary file is gone when this settles, whatever happened. */
export async function readUpload(req: IncomingMessage, options: { maxBytes: number; dir: string; allowedFolders?: readonly AllowedFolder[]; signatures?: SignaturePolicy }): Promise<Artifact> {
  const boundary = multipartBoundary(req.headers['content-type'] ?? '')
  if (!boundary) {
    throw new JaegisError('BAD_REQUEST', 'upload an artifact as multipart/form-data with parts "artifact" (artifact.json) and "wasm" (module.wasm), e.g. curl -F artifact=@build/artifact.json -F wasm=@build/module.wasm')
  }
  if (Number(req.headers['content-length']) > options.maxBytes) throw tooLarge(options.maxBytes)
  const tmp = join(options.dir, `${TMP_PREFIX}${randomBytes(6).toString('hex')}`)
  const meta: Buffer[] = []
  let metaBytes = 0
  let metaParts = 0
  let file: FileHandle | undefined
  let wasmParts = 0
  const hash = createHash('sha256')
  try {
    await readMultipart(limited(req, options.maxBytes), boundary, (name) => {
      if (name === 'artifact') {
        if (++metaParts > 1) throw new JaegisError('BAD_REQUEST', 'upload has more than one "artifact" part')
        return {
          write(chunk) {
            metaBytes += chunk.length
            if (metaBytes > MAX_META_BYTES) throw new JaegisError('BAD_REQUEST', `the "artifact" part is over ${MAX_META_BYTES} bytes`)
            meta.push(chunk)
          },
        }
      }
      if (name !== 'wasm') return undefined
      if (++wasmParts > 1) throw new JaegisError('BAD_REQUEST', 'upload has more than one "wasm" part')
      return {
        async write(chunk) {
          hash.update(chunk)
          try {
            file ??= await open(tmp, 'w', 0o600)
            await file.write(chunk)
          } catch (err) {
            throw diskError(err, 'the upload')
          }
        },
      }
    })
    if (!metaParts) throw new JaegisError('BAD_REQUEST', 'upload is missing the "artifact" part')
    if (!wasmParts) throw new JaegisError('BAD_REQUEST', 'upload is missing the "wasm" part')
    await file?.close()
    file = undefined
    return await verifyUpload(Buffer.concat(meta).toString('utf8'), hash.digest('hex'), tmp, options.allowedFolders ?? [], options.signatures ?? {})
  } catch (err) {
    if (clientGone(req, err)) throw new ClientGoneError(err)
    throw err
  } finally {
    await file?.close().catch(() => {})
    await rm(tmp, { force: true })
  }
}

/** The request body as an iterable that fails with BODY_TOO_LARGE past `maxBytes`, leaving the stream open for the answer. */
async function* limited(req: IncomingMessage, maxBytes: number): AsyncGenerator<Buffer> {
  let size = 0
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) throw tooLarge(maxBytes)
    yield chunk
  }
}

/**
 * artifact.json against the spooled wasm: the digest is checked before the module is read back, and
 * the signature (against the hash of the bytes received) before anything is derived or stored.
 */
async function verifyUpload(metaText: string, digest: string, wasmPath: string, allowedFolders: readonly AllowedFolder[], signatures: SignaturePolicy): Promise<Artifact> {
  let meta: unknown
  try {
    meta = JSON.parse(metaText)
  } catch (err) {
    throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: artifact.json is not JSON (${(err as Error).message})`)
  }
  const declared = (meta as { digest?: unknown } | null)?.digest
  if (declared !== digest) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: digest mismatch: artifact.json says ${String(declared)}, module.wasm hashes to ${digest}`)
  // A view of what readFile allocated (the file's own buffer), not a copy: on the thread that serves
  // requests, a copy of a 64 MiB upload is tens of milliseconds.
  const read = await readFile(wasmPath).catch(() => Buffer.alloc(0))
  const wasm = new Uint8Array(read.buffer, read.byteOffset, read.byteLength)
  // The signature (ML-DSA: milliseconds of pure JavaScript) is checked off this thread, against the
  // bytes received, before anything is derived or stored.
  await verifyOffThread(meta as ArtifactMeta, wasm, signatures)
  // Components and WASI modules: the server derives their parts (jco's JS glue runs in this process,
  // so it must never come from a client); only the original binary and the configuration are taken.
  const kind = (meta as { kind?: unknown }).kind
  if (kind === 'component' || kind === 'wasi') {
    // The derived meta is new; the signature (over the wasm and what the client sent) goes with it.
    const artifact = await prepareUploadedArtifactOffThread(meta, wasm, { allowedFolders })
    const { signature } = meta as ArtifactMeta
    return signature === undefined ? artifact : { ...artifact, meta: { ...artifact.meta, signature } }
  }
  return verifyArtifact(meta, wasm, undefined, new Map([[wasm, digest]])) // hashed as it arrived
}
