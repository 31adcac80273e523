// Where the CLI finds its own package and, in a source checkout, the repository around it.
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** The `jaegis` package's folder (cli/ in the repository), from source or from dist/. */
export function cliPackageDir(): string {
  let dir = here
  while (basename(dir) !== 'dist' && !existsSync(join(dir, 'package.json'))) dir = dirname(dir)
  return basename(dir) === 'dist' ? dirname(dir) : dir
}

/** The `jaegis` package's version. */
export function cliVersion(): string {
  return JSON.parse(readFileSync(join(cliPackageDir(), 'package.json'), 'utf8')).version
}

/** The source repository (workspace root) when the CLI runs from a checkout, else undefined. */
export function checkoutRoot(): string | undefined {
  const up = dirname(cliPackageDir())
  const pkg = join(up, 'package.json')
  return existsSync(pkg) && Array.isArray(JSON.parse(readFileSync(pkg, 'utf8')).workspaces) ? up : undefined
}
