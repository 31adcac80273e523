// AssemblyScript source -> core wasm with the ABI v1 exports. The user's entry is wrapped by a
// generated module that re-exports the SDK's ABI functions and calls the user's handle() and init().
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { createRequire } from 'node:module'
import { JaegisError } from '@jaegis/runtime'

/** Where the SDK sources live; imports of "jaegis/sdk" resolve here. */
export const SDK_DIR = sdkDir()

function sdkDir(): string {
  // The SDK is the @jaegis/sdk package (functions/sdk in the repository), a dependency of ours.
  return join(dirname(createRequire(import.meta.url).resolve('@jaegis/sdk/package.json')), 'assembly')
}

const ENTRY_NAME = '__jaegis_entry.ts'

export interface AscOptions {
  /** Function folder; the entry is relative to it. */
  dir: string
  /** @default "assembly/index.ts" */
  entry?: string
  /** Caps the module's memory (64 KiB pages). */
  maxMemoryPages: number
}

export interface AscResult {
  wasm: Uint8Array
  /** True when the user's entry exports init(). */
  hasInit: boolean
}

/** Compiles a function at -O3 with the incremental GC runtime. Compile errors carry file:line:col. */
export async function compileAssemblyScript(options: AscOptions): Promise<AscResult> {
  const { default: asc } = await import('assemblyscript/asc')
  const dir = resolve(options.dir)
  const entry = options.entry ?? 'assembly/index.ts'
  const entryPath = join(dir, entry)
  if (!existsSync(entryPath)) throw new JaegisError('COMPILE_FAILED', `entry file ${entry} not found in ${dir}`)
  const source = readFileSync(entryPath, 'utf8')
  if (!/export\s+function\s+handle\s*\(/.test(source)) {
    throw new JaegisError('COMPILE_FAILED', `${entry}: no "export function handle(req: Request): Response" found`)
  }
  const hasInit = /export\s+function\s+init\s*\(\s*\)/.test(source)
  const entryDir = dirname(entry)
  const userModule = './' + basenameNoExt(entry)
  const wrapper = [
    `import { handle } from "${userModule}";`,
    hasInit ? `import { init } from "${userModule}";` : '',
    `import { dispatch, prepareHeap } from "jaegis/sdk/abi";`,
    `export { __jaegis_abi_v1, __jaegis_alloc, __jaegis_free } from "jaegis/sdk/abi";`,
    `export function __jaegis_handle(ptr: usize, len: usize): usize { return dispatch(ptr, len, handle); }`,
    // Always present: the snapshot then holds an initialized allocator, so no request pays for it.
    `export function __jaegis_init(): void { prepareHeap();${hasInit ? ' init();' : ''} }`,
  ].join('\n')
  const wrapperRel = join(entryDir, ENTRY_NAME)

  let wasm: Uint8Array | undefined
  let stderr = ''
  const sdkRe = /(?:^|[\\/])node_modules[\\/]jaegis[\\/]sdk[\\/](.+\.ts)$/
  const { error } = await asc.main(
    [wrapperRel, '-O3', '--runtime', 'incremental', '--maximumMemory', String(options.maxMemoryPages), '--outFile', 'out.wasm', '--noColors'],
    {
      readFile(name: string, baseDir: string) {
        const path = resolve(dir, baseDir, name)
        if (path === resolve(dir, wrapperRel)) return wrapper
        const sdk = sdkRe.exec(name)
        if (sdk) {
          const file = join(SDK_DIR, sdk[1]!)
          return existsSync(file) ? readFileSync(file, 'utf8') : null
        }
        if (name.endsWith('asconfig.json')) return null
        return existsSync(path) ? readFileSync(path, 'utf8') : null
      },
      writeFile(name: string, contents: Uint8Array | string) {
        if (name.endsWith('.wasm')) wasm = typeof contents === 'string' ? new TextEncoder().encode(contents) : contents
      },
      listFiles: () => [],
      stdout: { write: () => true },
      stderr: { write: (chunk: string | Uint8Array) => ((stderr += String(chunk)), true) },
    } as never,
  )
  if (error || !wasm) {
    throw new JaegisError('COMPILE_FAILED', `AssemblyScript compile failed:\n${cleanDiagnostics(stderr, dir)}`, { cause: error })
  }
  return { wasm, hasInit }
}

function basenameNoExt(p: string): string {
  const base = p.split(/[\\/]/).pop()!
  return base.replace(/\.ts$/, '')
}

/** Keeps asc's diagnostics (they name file, line and column) minus colour codes and noise. */
function cleanDiagnostics(text: string, dir: string): string {
  return text
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((l) => !/^FAILURE /.test(l.trim()))
    .join('\n')
    .replaceAll(dir + sep, '')
    .trim() || 'unknown error'
}

