// A host's artifacts on local disk, by digest: <dir>/<digest>.artifact, written atomically. A read
// verifies sha256(wasm) against the digest it was asked for; a file that does not match is deleted and
// reported as missing, so the host fetches it again and never runs bytes that are not what the plan named.
import { mkdirSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { verifyArtifactAsync, type Artifact } from '@jaegis/runtime'
import { writeFileAtomic } from '../store/atomic.js'
import { decodeArtifact, encodeArtifact } from '../jetstream/artifact-blob.js'

const DIGEST_RE = /^[0-9a-f]{64}$/

export class DiskArtifactCache {
  /** Digests whose cached file failed verification (and was removed), for the host's log. */
  readonly rejected: string[] = []

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true })
  }

  path(digest: string): string {
    if (!DIGEST_RE.test(digest)) throw new Error(`not a digest: ${digest}`)
    return join(this.dir, `${digest}.artifact`)
  }

  /** The cached artifact, verified against `digest`, or undefined (absent, or removed because it did not verify). */
  async get(digest: string): Promise<Artifact | undefined> {
    let blob: Buffer
    try {
      blob = await readFile(this.path(digest))
    } catch {
      return undefined
    }
    try {
      const a = await decodeArtifact(blob, verifyArtifactAsync) // hashed on the thread pool, not the gateway thread
      if (a.meta.digest !== digest) throw new Error(`holds ${a.meta.digest}`)
      return a
    } catch {
      rmSync(this.path(digest), { force: true })
      this.rejected.push(digest)
      return undefined
    }
  }

  async put(artifact: Artifact): Promise<void> {
    await writeFileAtomic(this.path(artifact.meta.digest), encodeArtifact(artifact))
  }
}
