// Where the build puts kernel wasm: <project root>/build/kernels/<name>.wasm, found from here
// whether this runs from source (vitest) or from dist/.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let rootCache: string | undefined

/** The project root: the nearest folder upwards holding the jaegis package.json. */
export function projectRoot(): string {
  if (rootCache) return rootCache
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'jaegis') return (rootCache = dir)
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the jaegis project root')
    dir = up
  }
}

/** Path of a built kernel's wasm. Run `npm run build` first. */
export function kernelWasmPath(name: string): string {
  return join(projectRoot(), 'build', 'kernels', `${name}.wasm`)
}

/** Bytes of a built kernel, with a clear error when the build has not run. */
export function readKernelWasm(name: string): Uint8Array {
  const path = kernelWasmPath(name)
  if (!existsSync(path)) throw new Error(`kernel ${name} is not built (${path} missing): run npm run build`)
  return readFileSync(path)
}
