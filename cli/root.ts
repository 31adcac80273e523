// The installed package's root folder (for bundled examples), from source or from dist/.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'jaegis') return dir
    const up = dirname(dir)
    if (up === dir) throw new Error('cannot find the jaegis package root')
    dir = up
  }
}
