// Signing a built artifact folder: the signature (artifact/signing) goes into artifact.json, so it
// travels wherever artifact.json goes (upload, store, deploy). Keys and the signed message are artifact/'s.
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ARTIFACT_META_FILE, sha256Hex, type Artifact, type ArtifactMeta } from '@jaegis/runtime'
import { signArtifact, type SigningKey } from '@jaegis/artifact'

/** Signs the artifact in `outDir` with `key` and rewrites its artifact.json; returns the artifact with its signature. */
export async function signArtifactFolder(outDir: string, artifact: Artifact, key: SigningKey): Promise<Artifact> {
  const path = join(outDir, ARTIFACT_META_FILE)
  // The meta as written (not the checked copy in memory), minus any older signature.
  const { signature: _old, ...written } = JSON.parse(await readFile(path, 'utf8')) as ArtifactMeta
  const signature = signArtifact(key, sha256Hex(artifact.wasm), written)
  await writeFile(path, JSON.stringify({ ...written, signature }, null, 2) + '\n')
  return { ...artifact, meta: { ...artifact.meta, signature } }
}
