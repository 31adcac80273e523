// Where the build puts kernel wasm: <kernels package>/build/<name>.wasm, found from here whether this
// runs from source (vitest: kernels/wasm-path.ts) or from dist/ (kernels/dist/wasm-path.js), in the
// repository or installed as @jaegis/kernels.
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
/** The @jaegis/kernels package folder. */
const PACKAGE_DIR = basename(here) === 'dist' ? dirname(here) : here

let rootCache: string | undefined

/**
 * The source repository's root: the nearest folder upwards whose package.json declares the
 * workspaces (tests, benchmarks and `jaegis serve --examples` find data and examples from it).
 * Throws when the kernels run from an installed package outside a checkout.
 */
export function projectRoot(): string {
  if (rootCache) return rootCache
  let dir = here
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && Array.isArray(JSON.parse(readFileSync(pkg, 'utf8')).workspaces)) return (rootCache = dir)
    const up = dirname(dir)
    if (up === dir) throw new Error('not inside a jaegis source checkout (no package.json with workspaces above ' + here + ')')
    dir = up
  }
}

/** Path of a built kernel's wasm. Run `npm run build` first. */
export function kernelWasmPath(name: string): string {
  return join(PACKAGE_DIR, 'build', `${name}.wasm`)
}

/** Bytes of a built kernel, with a clear error when the build has not run. */
export function readKernelWasm(name: string): Uint8Array {
  const path = kernelWasmPath(name)
  if (!existsSync(path)) throw new Error(`kernel ${name} is not built (${path} missing): run npm run build`)
  return readFileSync(path)
}
