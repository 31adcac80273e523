// Helpers for the component tests: compile C fixtures with clang for wasm32-wasi when the toolchain
// is installed (CI installs clang, lld, wasi-libc and libclang-rt-dev-wasm32), and a FunctionConfig.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FunctionConfig } from '../runtime/index.js'
import { ROOT } from './helpers.js'

export const FIXTURES = join(ROOT, 'test', 'fixtures', 'components')

/** Why C fixtures cannot be built here, or undefined when they can. */
export function wasiClangMissing(): string | undefined {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' })
  } catch {
    return 'clang is not installed (apt-get install clang lld wasi-libc libclang-rt-dev-wasm32)'
  }
  if (!existsSync('/usr/lib/wasm32-wasi/libc.a') && !existsSync('/usr/share/wasi-sysroot')) return 'wasi-libc is not installed (apt-get install wasi-libc)'
  return undefined
}

/**
 * Builds a wasi:http component from C the way C and Rust components are built elsewhere: clang for
 * wasm32-wasi (a reactor), then wasm-tools' `component embed` (WIT 0.2.0, the version Spin and
 * wasmCloud use) and `component new` with the preview-1 reactor adapter. `initialMemoryBytes` (0: the
 * linker's default) gives wasi-libc's malloc room in the initial memory.
 */
export async function compileCHttpComponent(source: string, { initialMemoryBytes = 0 } = {}): Promise<Uint8Array> {
  const work = mkdtempSync(join(tmpdir(), 'jaegis-c-http-'))
  const core = join(work, 'core.wasm')
  execFileSync('clang', ['--target=wasm32-wasi', '-mexec-model=reactor', '-O2', ...(initialMemoryBytes ? [`-Wl,--initial-memory=${initialMemoryBytes}`] : []), source, '-o', core], { stdio: 'pipe' })
  const wit = await writeWasiWit()
  writeFileSync(join(wit, 'world.wit'), 'package test:c-http;\n\nworld handler {\n  include wasi:http/proxy@0.2.0;\n}\n')
  const { componentEmbed, componentNew, preview1AdapterReactorPath } = await import('@bytecodealliance/jco')
  const embedded = await componentEmbed({ binary: readFileSync(core), witPath: wit, world: 'handler' })
  return componentNew(embedded, [['wasi_snapshot_preview1', readFileSync(preview1AdapterReactorPath())]])
}

/**
 * Builds a wasi:cli/run command component from C the way commands become components elsewhere: clang for
 * wasm32-wasi (a command with _start), `component embed` with a world importing wasi:http/types@0.2.0 (the
 * fixture makes a resource of it), and `component new` with the preview-1 command adapter. The memory
 * starts at 1 MiB so that wasi-libc's malloc finds room without growing it (a memory that grew cannot be
 * reset); `initialMemoryBytes: 0` keeps the linker's default (the first malloc grows it).
 */
export async function compileCCommandComponent(source: string, { initialMemoryBytes = 1 << 20 } = {}): Promise<Uint8Array> {
  const work = mkdtempSync(join(tmpdir(), 'jaegis-c-command-'))
  const core = join(work, 'core.wasm')
  execFileSync('clang', ['--target=wasm32-wasi', '-O2', ...(initialMemoryBytes ? [`-Wl,--initial-memory=${initialMemoryBytes}`] : []), source, '-o', core], { stdio: 'pipe' })
  const wit = await writeWasiWit()
  writeFileSync(join(wit, 'world.wit'), 'package test:c-command;\n\nworld command {\n  import wasi:http/types@0.2.0;\n}\n')
  const { componentEmbed, componentNew, preview1AdapterCommandPath } = await import('@bytecodealliance/jco')
  const embedded = await componentEmbed({ binary: readFileSync(core), witPath: wit, world: 'command' })
  return componentNew(embedded, [['wasi_snapshot_preview1', readFileSync(preview1AdapterCommandPath())]])
}

/** The folder every fixture's WIT goes under, preopened once: wasm-tools (run through preview2-shim) reads WIT through WASI and sees only the preopens of its first call. */
let witRoot: string | undefined

/** jco's bundled WASI WIT rewritten to 0.2.0 under a new `wit` folder (deps only; the caller writes the world); returns it. */
async function writeWasiWit(): Promise<string> {
  if (!witRoot) {
    witRoot = mkdtempSync(join(tmpdir(), 'jaegis-c-wit-'))
    const { _addPreopen } = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as { _addPreopen(guest: string, host: string): void }
    _addPreopen(witRoot, witRoot)
  }
  const jcoWit = join(ROOT, 'node_modules', '@bytecodealliance', 'jco', 'lib', 'wit', 'builtin', '0.2.12')
  const wit = join(mkdtempSync(join(witRoot, 'w-')), 'wit')
  for (const p of ['cli', 'clocks', 'filesystem', 'http', 'io', 'random', 'sockets']) {
    mkdirSync(join(wit, 'deps', p), { recursive: true })
    writeFileSync(join(wit, 'deps', p, 'package.wit'), readFileSync(join(jcoWit, `wasi-${p}`, 'package.wit'), 'utf8').replaceAll('@0.2.12', '@0.2.0'))
  }
  return wit
}

/** Compiles a C file for wasm32-wasi (a command module with _start). */
export function compileC(source: string): Uint8Array {
  const out = join(mkdtempSync(join(tmpdir(), 'jaegis-c-')), 'out.wasm')
  execFileSync('clang', ['--target=wasm32-wasi', '-O2', source, '-o', out], { stdio: 'pipe' })
  return readFileSync(out)
}

export function testConfig(name: string, over: Partial<FunctionConfig> & { memoryMib?: number; timeoutMs?: number } = {}): FunctionConfig {
  const { memoryMib = 16, timeoutMs = 500, ...rest } = over
  return { name, limits: { memoryBytes: memoryMib * 1024 * 1024, timeoutMs, bodyBytes: 1 << 20 }, env: {}, pool: { minWarm: 1, maxWarm: 4 }, reuse: false, requireKey: false, ...rest }
}

export const text = (body: Uint8Array) => new TextDecoder().decode(body)

export function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn()
  } catch (err) {
    return err as { code: string; message: string }
  }
  throw new Error('expected an error')
}
