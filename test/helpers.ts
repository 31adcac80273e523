// Shared test helpers: build a fixture or example function into a temporary folder.
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, type BuildResult } from '../compiler/index.js'

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export { SHARED_DATA } from './shared-data.js'

/** Copies functions/<name> or test/fixtures/<name> to a temp folder, optionally editing jaegis.toml, and builds it. */
export async function buildFunction(name: string, edit?: (toml: string) => string): Promise<BuildResult & { dir: string }> {
  const src = [join(ROOT, 'functions', name), join(ROOT, 'test', 'fixtures', name)].find((d) => {
    try {
      readFileSync(join(d, 'jaegis.toml'))
      return true
    } catch {
      return false
    }
  })
  if (!src) throw new Error(`no function or fixture named ${name}`)
  const dir = join(mkdtempSync(join(tmpdir(), `jaegis-${name}-`)), name)
  cpSync(src, dir, { recursive: true, filter: (p) => !p.includes(`${name}/build`) })
  if (edit) writeFileSync(join(dir, 'jaegis.toml'), edit(readFileSync(join(dir, 'jaegis.toml'), 'utf8')))
  const result = await build(dir)
  return { ...result, dir }
}

export const text = (body: Uint8Array) => new TextDecoder().decode(body)
