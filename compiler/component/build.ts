// build for js and wasm functions: jaegis.toml + source (or a prebuilt .wasm) -> artifact folder.
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { JaegisError, type Artifact } from '../../runtime/index.js'
import { build, MANIFEST_FILE, type BuildOptions } from '../build.js'
import { componentizeJs, type ComponentizeOptions, type JsStyle } from './js.js'
import { manifestLanguage, parseComponentManifest } from './manifest.js'
import { buildComponentArtifact } from './prepare.js'
import { signArtifactFolder } from '../sign.js'
import type { SigningKey } from '../../artifact/index.js'

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
    files: manifest.files.map((f) => ({ guest: f.destination, host: f.source })),
    baseDir: root,
    ...(jsStyle ? { jsStyle } : {}),
    outDir,
  })
  return { artifact: r.artifact, outDir, language: manifest.language, ...(jsStyle ? { jsStyle } : {}), componentizeMs, transpileMs: r.transpileMs, meterMs: r.meterMs }
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
