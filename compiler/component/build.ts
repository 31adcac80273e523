// build for js and wasm functions: jaegis.toml + source (or a prebuilt .wasm) -> artifact folder; and a
// bare .wasm file whose manifest fields come from elsewhere (`jaegis deploy app.wasm --memory 64`).
import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { stringify } from 'smol-toml'
import { JaegisError, type Artifact } from '@jaegis/runtime'
import type { FileMapping } from '@jaegis/runtime/component'
import { build, MANIFEST_FILE, type BuildOptions } from '../build.js'
import { componentizeJs, type ComponentizeOptions, type JsStyle } from './js.js'
import { manifestLanguage, parseComponentManifest } from './manifest.js'
import { buildComponentArtifact } from './prepare.js'
import { signArtifactFolder } from '../sign.js'
import type { SigningKey } from '@jaegis/artifact'

export interface ComponentFunctionBuildOptions extends ComponentizeOptions {
  /** Where the artifact folder goes. @default "<dir>/build" */
  outDir?: string
}

export interface ComponentFunctionBuildResult {
  artifact: Artifact
  outDir: string
  language: 'js' | 'wasm'
  jsStyle?: JsStyle
  /** componentize-js time (0 when cached or not JavaScript). */
  componentizeMs: number
  transpileMs: number
  meterMs: number
}

/** Builds a `language = "js"` or `"wasm"` function folder. Throws INVALID_MANIFEST or COMPILE_FAILED. */
export async function buildComponentFunction(dir: string, options: ComponentFunctionBuildOptions = {}): Promise<ComponentFunctionBuildResult> {
  const root = resolve(dir)
  const text = await readManifest(root)
  const manifest = parseComponentManifest(text, MANIFEST_FILE)
  let wasm: Uint8Array
  let jsStyle: JsStyle | undefined
  let componentizeMs = 0
  const config = { ...manifest.config }
  if (manifest.language === 'js') {
    const c = await componentizeJs(root, manifest.entry, options)
    wasm = c.component
    jsStyle = c.style
    componentizeMs = c.cached ? 0 : c.buildMs
    // StarlingMonkey's fetch-event loop finishes an instance: it can never take a second request.
    if (jsStyle === 'fetch-event') config.reuse = false
    else if (!manifest.reuseSet) config.reuse = true
  } else {
    try {
      wasm = await readFile(resolve(root, manifest.entry))
    } catch (err) {
      throw new JaegisError('COMPILE_FAILED', `entry ${manifest.entry} not found in ${root}: build your component or WASI program first`, { cause: err })
    }
  }
  const outDir = resolve(options.outDir ?? join(root, 'build'))
  const r = await buildComponentArtifact({
    wasm,
    config,
    allowedOutboundHosts: manifest.allowedOutboundHosts,
    files: manifest.files.map((f) => ({ guest: f.destination, host: f.source, ...(f.writable ? { writable: true } : {}) })),
    baseDir: root,
    ...(jsStyle ? { jsStyle } : {}),
    outDir,
  })
  return { artifact: r.artifact, outDir, language: manifest.language, ...(jsStyle ? { jsStyle } : {}), componentizeMs, transpileMs: r.transpileMs, meterMs: r.meterMs }
}

/** What a manifest would say for a bare .wasm file: jaegis.toml's fields as a table (`{ name, limits: { memory_mib } }`). */
export type ManifestFields = Record<string, unknown>

/**
 * Builds a bare component or WASI module with the manifest `fields` (checked by the manifest parser,
 * so every rule and message is the manifest's; `source` names them in messages). `language` is
 * "wasm" and `entry` the file. Relative `files` sources resolve against the file's folder;
 * `options.files` adds mappings with host paths as given (absolute ones included). The
 * artifact goes to a new temporary folder unless `outDir` says where.
 */
export async function buildWasmFile(file: string, fields: ManifestFields, options: { outDir?: string; source?: string; files?: FileMapping[] } = {}): Promise<ComponentFunctionBuildResult> {
  const path = resolve(file)
  const text = stringify({ ...fields, language: 'wasm', entry: basename(path) })
  const manifest = parseComponentManifest(text, options.source ?? basename(path))
  let wasm: Uint8Array
  try {
    wasm = await readFile(path)
  } catch (err) {
    throw new JaegisError('COMPILE_FAILED', `${path} cannot be read: ${(err as Error).message}`, { cause: err })
  }
  const outDir = resolve(options.outDir ?? (await mkdtemp(join(tmpdir(), `jaegis-${manifest.config.name}-`))))
  const r = await buildComponentArtifact({
    wasm,
    config: manifest.config,
    allowedOutboundHosts: manifest.allowedOutboundHosts,
    files: [...manifest.files.map((f) => ({ guest: f.destination, host: f.source, ...(f.writable ? { writable: true } : {}) })), ...(options.files ?? [])],
    baseDir: dirname(path),
    outDir,
  })
  return { artifact: r.artifact, outDir, language: 'wasm', componentizeMs: 0, transpileMs: r.transpileMs, meterMs: r.meterMs }
}

/** A function name from a file name ("Test_Command.wasm" -> "test-command"), or undefined when none fits. */
export function functionNameFromFile(file: string): string | undefined {
  const n = basename(file).replace(/\.wasm$/i, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^[^a-z]+/, '').replace(/-+$/, '').slice(0, 63)
  return n.length > 0 ? n : undefined
}

export interface AnyBuildOptions extends BuildOptions, ComponentFunctionBuildOptions {
  /** Sign the artifact with this key (artifact/signing; the CLI's --sign-key / $JAEGIS_SIGN_KEY). @default unsigned */
  signingKey?: SigningKey
}

/** Builds any function folder: AssemblyScript through compiler/build.ts, js and wasm here; then signs it when given a key. */
export async function buildAnyFunction(dir: string, options: AnyBuildOptions = {}): Promise<{ artifact: Artifact; outDir: string; language: string }> {
  const root = resolve(dir)
  const language = manifestLanguage(await readManifest(root), MANIFEST_FILE)
  const r = language === 'assemblyscript' ? { ...(await build(root, options)), language } : await buildComponentFunction(root, options)
  const artifact = options.signingKey ? await signArtifactFolder(r.outDir, r.artifact, options.signingKey) : r.artifact
  return { artifact, outDir: r.outDir, language: r.language }
}

async function readManifest(root: string): Promise<string> {
  try {
    return await readFile(join(root, MANIFEST_FILE), 'utf8')
  } catch (err) {
    throw new JaegisError('INVALID_MANIFEST', `no ${MANIFEST_FILE} in ${root}: is this a Jaegis function folder?`, { cause: err })
  }
}
