// A deployable .wasm (a component exporting wasi:http/incoming-handler or wasi:cli/run, or a WASI
// preview-1 command module) -> a Jaegis artifact. Components are transpiled by jco once, here, in
// instantiation mode; every core module with a memory of its own is metered (deadline checks, memory cap).
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ABI_VERSION, ARTIFACT_META_FILE, ARTIFACT_WASM_FILE, JaegisError, OffThread, builtScript, exportMutableGlobals, meterModule, sha256Hex, verifyArtifact, type Artifact, type FunctionConfig } from '@jaegis/runtime'
import { wasmBinary } from '@jaegis/artifact'
import { PREVIEW1_MODULE, PROVIDED_INTERFACES, type ComponentMeta, type CoreModulePart, type FileMapping } from '@jaegis/runtime/component'
import { preview1Imports } from '@jaegis/runtime/wasi/preview1'
import { commandModuleProblem } from './module-kind.js'
import { admitHostFolders, type AllowedFolder } from './allow-files.js'

const { readSections, SECTION, Reader, readLimits, countImports } = wasmBinary

/** What a .wasm file is, from its 8-byte header. */
export function wasmKind(bytes: Uint8Array): 'component' | 'module' {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new JaegisError('INVALID_WASM', 'not a WebAssembly binary (no \\0asm header)')
  }
  // Core modules have version 1 and layer 0; components have layer 1 (bytes 6-7 = 01 00).
  return bytes[6] === 1 && bytes[7] === 0 ? 'component' : 'module'
}

export interface ComponentBuildOptions {
  /** The deployable binary: a component or a WASI preview-1 command module. */
  wasm: Uint8Array
  config: FunctionConfig
  /** Spin-style outbound allow-list. @default [] (no outbound HTTP) */
  allowedOutboundHosts?: string[]
  /** Directory mappings, host paths absolute or relative to `baseDir`; read-only unless `writable`. @default [] */
  files?: FileMapping[]
  /** Resolves relative host paths in `files`. @default process.cwd() */
  baseDir?: string
  /** Recorded for JavaScript functions. */
  jsStyle?: ComponentMeta['jsStyle']
  /** Where to write the artifact folder; nothing is written when absent. */
  outDir?: string
}

export interface ComponentBuildResult {
  artifact: Artifact
  outDir?: string
  /** Interfaces (components) or functions (modules) the binary imports. */
  imports: string[]
  transpileMs: number
  meterMs: number
}

const unversioned = (name: string) => name.replace(/@[^/]*$/, '')

/** Memory of a core module: 'defined' (with initial pages), 'imported' or 'none'. */
function memoryOf(bytes: Uint8Array): { kind: 'defined'; initialPages: number } | { kind: 'imported' | 'none' } {
  const sections = readSections(bytes)
  const mem = sections.find((s) => s.id === SECTION.memory)
  if (mem) {
    const r = new Reader(bytes, mem.start, mem.end)
    if (r.u32() > 0) return { kind: 'defined', initialPages: readLimits(r).min }
  }
  const imp = sections.find((s) => s.id === SECTION.import)
  if (imp && countImports(new Reader(bytes, imp.start, imp.end)).memories > 0) return { kind: 'imported' }
  return { kind: 'none' }
}

function meterPart(file: string, bytes: Uint8Array, maxMemoryPages: number, withImage = false): { part: CoreModulePart; bytes: Uint8Array; initialPages?: number; image?: Uint8Array } {
  const mem = memoryOf(bytes)
  // Modules without a memory of their own (jco's shim and fixup modules, the preview-1 adapter, which
  // borrows the main module's memory) run only short glue code: they are not metered, only their
  // mutable globals are exported so that the host can reset a used instance (component-host.ts).
  if (mem.kind !== 'defined') {
    const out = exportMutableGlobals(bytes).bytes
    return { part: { file, digest: sha256Hex(out), metered: false }, bytes: out }
  }
  if (mem.initialPages > maxMemoryPages) {
    throw new JaegisError('COMPILE_FAILED', `the component needs ${mem.initialPages * 64} KiB of memory to start, over the function's limit of ${maxMemoryPages * 64} KiB: raise [limits] memory_mib`)
  }
  if (withImage) {
    // The memory becomes an import and its data segments an image: a new instance then gets a
    // recycled, already-faulted memory filled by one copy (about 0.6 ms for a JavaScript engine's
    // 9.5 MB) instead of V8 applying the data segments to fresh pages (15-25 ms).
    const m = meterModule(bytes, { maxMemoryPages, importMemory: true })
    if (m.memoryImage) {
      const imageFile = `${file.replace(/\.wasm$/, '')}.memory`
      return { part: { file, digest: sha256Hex(m.bytes), metered: true, memoryImage: { file: imageFile, digest: sha256Hex(m.memoryImage), maximumPages: m.maxMemoryPages ?? maxMemoryPages } }, bytes: m.bytes, initialPages: mem.initialPages, image: m.memoryImage }
    }
  }
  const metered = meterModule(bytes, { maxMemoryPages }).bytes
  return { part: { file, digest: sha256Hex(metered), metered: true }, bytes: metered, initialPages: mem.initialPages }
}

/** Builds the artifact for a component or a preview-1 command module. Throws COMPILE_FAILED with a reason the user can act on. */
export async function buildComponentArtifact(options: ComponentBuildOptions): Promise<ComponentBuildResult> {
  const { wasm, config } = options
  const maxMemoryPages = Math.floor(config.limits.memoryBytes / 65536)
  const parts: Record<string, Uint8Array> = {}
  const coreModules: CoreModulePart[] = []
  let initialPages = 0
  let world: ComponentMeta['world']
  let exportName: string | undefined
  let glue: ComponentMeta['glue']
  let imports: string[]
  let transpileMs = 0
  const t0 = performance.now()
  let meterMs = 0
  const kind = wasmKind(wasm)
  if (kind === 'component') {
    const { transpile } = await import('@bytecodealliance/jco')
    let out: { files: Record<string, Uint8Array>; imports: string[]; exports: Array<[string, string]> }
    try {
      out = await transpile(wasm, { name: 'component', instantiation: 'sync', noTypescript: true, quiet: true } as never)
    } catch (err) {
      throw new JaegisError('COMPILE_FAILED', `jco could not transpile the component: ${(err as Error).message}`, { cause: err })
    }
    transpileMs = performance.now() - t0
    imports = out.imports
    const missing = out.imports.filter((i) => !(PROVIDED_INTERFACES as readonly string[]).includes(unversioned(i)))
    if (missing.length > 0) throw new JaegisError('COMPILE_FAILED', `the component imports ${missing.join(', ')}, which Jaegis does not provide (it provides the wasi:http/proxy and wasi:cli/command worlds)`)
    const names = out.exports.map(([n]) => n)
    const http = names.find((n) => /^wasi:http\/incoming-handler@0\.2\./.test(n))
    const run = names.find((n) => /^wasi:cli\/run@0\.2\./.test(n))
    if (http) {
      world = 'http'
      exportName = http
    } else if (run) {
      world = 'cgi'
      exportName = run
    } else {
      throw new JaegisError('COMPILE_FAILED', `the component exports ${names.join(', ') || 'nothing'}; Jaegis runs components that export wasi:http/incoming-handler@0.2.x or wasi:cli/run@0.2.x`)
    }
    const t1 = performance.now()
    for (const [file, bytes] of Object.entries(out.files)) {
      if (!file.endsWith('.wasm')) continue
      const m = meterPart(file, bytes, maxMemoryPages, true)
      coreModules.push(m.part)
      parts[file] = m.bytes
      if (m.image && m.part.memoryImage) parts[m.part.memoryImage.file] = m.image
      initialPages = Math.max(initialPages, m.initialPages ?? 0)
    }
    meterMs = performance.now() - t1
    const js = out.files['component.js']
    if (!js) throw new JaegisError('COMPILE_FAILED', 'jco produced no component.js')
    parts['component.js'] = js
    glue = { file: 'component.js', digest: sha256Hex(js) }
  } else {
    let module: WebAssembly.Module
    try {
      module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>)
    } catch (err) {
      throw new JaegisError('INVALID_WASM', `not a valid WebAssembly module: ${(err as Error).message}`, { cause: err })
    }
    const provided = new Set(Object.keys(preview1Imports({ args: [], env: {}, stdin: new Uint8Array(), stdout: () => true, stderr: () => {}, files: [], log: () => {} }).imports))
    imports = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`)
    const problem = commandModuleProblem(module, PREVIEW1_MODULE, provided)
    if (problem) throw new JaegisError('COMPILE_FAILED', problem)
    world = 'cgi'
    const t1 = performance.now()
    const m = meterPart('command.wasm', wasm, maxMemoryPages)
    meterMs = performance.now() - t1
    coreModules.push(m.part)
    parts['command.wasm'] = m.bytes
    initialPages = m.initialPages ?? 0
  }
  if (kind === 'component' && config.responseFile !== undefined) {
    throw new JaegisError('COMPILE_FAILED', 'response_file is for WASI preview-1 command modules (they have the scratch /tmp); a component answers through its own interface')
  }
  if (kind === 'component' && options.files?.some((f) => f.writable)) {
    throw new JaegisError('COMPILE_FAILED', 'writable folders are for WASI command modules; components see mapped folders read-only (remove writable = true)')
  }
  const baseDir = resolve(options.baseDir ?? '.')
  const component: ComponentMeta = {
    world,
    ...(options.jsStyle ? { jsStyle: options.jsStyle } : {}),
    ...(exportName ? { export: exportName } : {}),
    ...(glue ? { glue } : {}),
    coreModules,
    allowedOutboundHosts: options.allowedOutboundHosts ?? [],
    files: (options.files ?? []).map((f) => ({ guest: f.guest, host: resolve(baseDir, f.host), ...(f.writable ? { writable: true } : {}) })),
    initialMemoryBytes: initialPages * 65536,
  }
  const meta = { abi: ABI_VERSION, kind: kind === 'component' ? ('component' as const) : ('wasi' as const), digest: sha256Hex(wasm), sizeBytes: wasm.byteLength, config, component }
  const artifact = verifyArtifact(meta, wasm, parts)
  let outDir: string | undefined
  if (options.outDir) {
    outDir = resolve(options.outDir)
    await mkdir(outDir, { recursive: true })
    await writeFile(join(outDir, ARTIFACT_WASM_FILE), wasm)
    for (const [file, bytes] of Object.entries(parts)) await writeFile(join(outDir, file), bytes)
    await writeFile(join(outDir, ARTIFACT_META_FILE), JSON.stringify(meta, null, 2) + '\n')
  }
  return { artifact, outDir, imports, transpileMs, meterMs }
}

export interface UploadOptions {
  /** Folders an upload's `component.files` may map (they name folders on this machine). @default [] (no mappings) */
  allowedFolders?: readonly AllowedFolder[]
}

/**
 * The deploy side of a non-core artifact: given an uploaded artifact.json and module.wasm, derive the
 * parts (jco glue, metered core modules) here, with this server's jco, never trusting uploaded ones:
 * the glue is JavaScript that runs in the host process. Config and capabilities come from the upload.
 */
export async function prepareUploadedArtifact(meta: unknown, wasm: Uint8Array, options: UploadOptions = {}): Promise<Artifact> {
  const bad = (msg: string) => new JaegisError('INVALID_ARTIFACT', `invalid artifact: ${msg}`)
  if (typeof meta !== 'object' || meta === null) throw bad('artifact.json is not an object')
  const m = meta as { kind?: unknown; digest?: unknown; config?: unknown; component?: Partial<ComponentMeta> }
  if (m.kind !== 'component' && m.kind !== 'wasi') throw bad(`kind ${JSON.stringify(m.kind)} is not a component or WASI module`)
  if (m.digest !== sha256Hex(wasm)) throw bad(`digest mismatch: artifact.json says ${String(m.digest)}, module.wasm hashes to ${sha256Hex(wasm)}`)
  const config = m.config as FunctionConfig | undefined
  if (typeof config?.limits?.memoryBytes !== 'number') throw bad('config.limits.memoryBytes is missing')
  const c = m.component ?? {}
  if (c.files !== undefined && (!Array.isArray(c.files) || c.files.some((f) => typeof f?.guest !== 'string' || typeof f?.host !== 'string'))) throw bad('component.files must be a list of {guest, host, writable?}')
  const files = admitHostFolders(c.files ?? [], options.allowedFolders ?? [])
  const { artifact } = await buildComponentArtifact({
    wasm,
    config,
    allowedOutboundHosts: Array.isArray(c.allowedOutboundHosts) ? c.allowedOutboundHosts : [],
    files,
    ...(c.jsStyle ? { jsStyle: c.jsStyle } : {}),
  })
  return artifact
}

let uploadWorker: OffThread | undefined

/** Longest an upload's parts may take to derive (a 13.6 MB JavaScript component: ~1-4 s). */
export const UPLOAD_PREPARE_TIMEOUT_MS = 120_000

/**
 * prepareUploadedArtifact on a thread of its own (jco's transpile of a JavaScript component takes
 * seconds): what a server that serves requests while it takes a deploy calls.
 */
export function prepareUploadedArtifactOffThread(meta: unknown, wasm: Uint8Array, options: UploadOptions = {}): Promise<Artifact> {
  uploadWorker ??= new OffThread(builtScript('upload-worker', import.meta.url, '../dist/component'))
  return uploadWorker.call('prepareUpload', { meta, wasm, options }, {
    timeoutMs: UPLOAD_PREPARE_TIMEOUT_MS,
    timeoutError: () => new JaegisError('INVALID_ARTIFACT', `invalid artifact: deriving its parts (jco transpile and metering) took over ${UPLOAD_PREPARE_TIMEOUT_MS / 1000} s and was stopped`),
  })
}
