// build(dir): jaegis.toml + AssemblyScript source -> artifact folder (artifact.json + module.wasm).
// The same source gives the same bytes and so the same digest.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ABI_VERSION, ARTIFACT_META_FILE, ARTIFACT_WASM_FILE, JaegisError, sha256Hex, verifyArtifact, type Artifact } from '@jaegis/runtime'
import { compileAssemblyScript } from './assemblyscript.js'
import { parseManifest } from './manifest.js'
import { preinitialize } from './preinit.js'

export const MANIFEST_FILE = 'jaegis.toml'

export interface BuildOptions {
  /** Where the artifact folder goes. @default "<dir>/build" */
  outDir?: string
  /** Skip pre-initialization (benchmarks compare against it). @default false */
  noSnapshot?: boolean
  /** Receives init()'s log lines. */
  onLog?: (level: string, message: string) => void
}

export interface BuildResult {
  artifact: Artifact
  outDir: string
  /** Time spent in init() at build time. */
  initMs: number
}

/** Builds the function in `dir`. Throws INVALID_MANIFEST, COMPILE_FAILED or PREINIT_FAILED with a message for the user. */
export async function build(dir: string, options: BuildOptions = {}): Promise<BuildResult> {
  const root = resolve(dir)
  let text: string
  try {
    text = await readFile(join(root, MANIFEST_FILE), 'utf8')
  } catch (err) {
    throw new JaegisError('INVALID_MANIFEST', `no ${MANIFEST_FILE} in ${root}: is this a Jaegis function folder?`, { cause: err })
  }
  const manifest = parseManifest(text, MANIFEST_FILE)
  const { config } = manifest
  const maxMemoryPages = Math.floor(config.limits.memoryBytes / 65536)
  const compiled = await compileAssemblyScript({ dir: root, entry: manifest.entry, maxMemoryPages })
  let wasm = compiled.wasm
  let initMs = 0
  if (!options.noSnapshot) {
    const pre = preinitialize(wasm, { runInit: true, memoryLimitBytes: config.limits.memoryBytes, env: config.env, onLog: options.onLog })
    wasm = pre.wasm
    initMs = pre.initMs
  }
  const meta = { abi: ABI_VERSION, kind: 'core' as const, digest: sha256Hex(wasm), sizeBytes: wasm.byteLength, config }
  const artifact = verifyArtifact(meta, wasm)
  const outDir = resolve(options.outDir ?? join(root, 'build'))
  await mkdir(outDir, { recursive: true })
  await writeFile(join(outDir, ARTIFACT_WASM_FILE), wasm)
  await writeFile(join(outDir, ARTIFACT_META_FILE), JSON.stringify(meta, null, 2) + '\n')
  return { artifact, outDir, initMs }
}
