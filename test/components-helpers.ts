// Helpers for the component tests: compile C fixtures with clang for wasm32-wasi when the toolchain
// is installed (CI installs clang, lld, wasi-libc and libclang-rt-dev-wasm32), and a FunctionConfig.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
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
