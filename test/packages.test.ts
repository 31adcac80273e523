// The workspace packages: the dependency-direction check rejects imports that point the wrong way,
// and what an edge host installs (@jaegis/runtime + @jaegis/gateway, production dependencies) stays
// small and compiler-free. `npm run bench:install` measures the real install from packed tarballs.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { COMPILER_PACKAGES, EDGE_PACKAGES, WORKSPACE_PACKAGES } from '../bench/packages.js'
import { projectRoot } from '../kernels/wasm-path.js'

const root = projectRoot()
const ts = createRequire(import.meta.url)('typescript')
const { checkPackages, ALLOWED } = (await import(join(root, 'scripts', 'check-packages.mjs'))) as {
  checkPackages(root: string, ts: unknown): string[]
  ALLOWED: Record<string, string[]>
}

describe('dependency direction', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'jaegis-pkgcheck-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  /** A minimal copy of the workspace layout: each folder's package.json and one source file. */
  function tree(name: string, files: Record<string, string>): string {
    const dir = join(tmp, name)
    for (const folder of Object.keys(ALLOWED)) {
      mkdirSync(join(dir, folder), { recursive: true })
      cpSync(join(root, folder, 'package.json'), join(dir, folder, 'package.json'))
      writeFileSync(join(dir, folder, 'index.ts'), 'export const x = 1\n')
    }
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true })
      writeFileSync(join(dir, file), text)
    }
    return dir
  }

  it('passes on the repository as it is', () => {
    expect(checkPackages(root, ts)).toEqual([])
  })

  it('accepts declared imports, node built-ins and scaffold text inside template literals', () => {
    const dir = tree('ok', {
      'runtime/a.ts': "import { x } from '@jaegis/artifact'\nimport { readFileSync } from 'node:fs'\nimport { LRUCache } from 'lru-cache'\nimport { y } from './b.js'\n",
      'runtime/b.ts': 'export const y = 2\n',
      'cli/new.ts': "export const scaffold = `import { build } from 'jaegis/compiler'\\n`\n",
    })
    expect(checkPackages(dir, ts)).toEqual([])
  })

  it('rejects an import that points the wrong way, even when the package is installed beside it', () => {
    const dir = tree('upward', { 'runtime/bad.ts': "import { build } from '@jaegis/compiler'\n" })
    expect(checkPackages(dir, ts)).toEqual([expect.stringMatching(/^runtime\/bad\.ts: imports @jaegis\/compiler, but @jaegis\/runtime does not declare @jaegis\/compiler/)])
  })

  it('rejects a relative import out of the package folder', () => {
    const dir = tree('relative', { 'gateway/bad.ts': "import { x } from '../compiler/index.js'\n" })
    expect(checkPackages(dir, ts)).toEqual([expect.stringMatching(/^gateway\/bad\.ts: imports \.\.\/compiler\/index\.js, outside the @jaegis\/gateway package/)])
  })

  it('rejects an undeclared third-party import and a dynamic import alike', () => {
    const dir = tree('undeclared', { 'runtime/bad.ts': "export async function f() { return import('@bytecodealliance/jco') }\n" })
    expect(checkPackages(dir, ts)).toEqual([expect.stringMatching(/imports @bytecodealliance\/jco, but @jaegis\/runtime does not declare/)])
  })

  it('rejects a package.json that declares a workspace package against the arrows', () => {
    const dir = tree('declared', {})
    const file = join(dir, 'runtime', 'package.json')
    const pkg = JSON.parse(readFileSync(file, 'utf8'))
    pkg.dependencies['@jaegis/gateway'] = '0.1.0'
    writeFileSync(file, JSON.stringify(pkg))
    expect(checkPackages(dir, ts)).toEqual([expect.stringMatching(/^runtime\/package\.json: declares @jaegis\/gateway/)])
  })

  it('makes the build fail on a wrong-way import', () => {
    const dir = tree('build', { 'artifact/bad.ts': "import { x } from '@jaegis/runtime'\n" })
    const run = () => execFileSync(process.execPath, [join(root, 'scripts', 'check-packages.mjs'), '--root', dir], { stdio: 'pipe' })
    expect(run).toThrow(/imports @jaegis\/runtime, but @jaegis\/artifact does not declare/)
  })
})

describe('what an edge host installs', () => {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages as Record<string, { dependencies?: Record<string, string>; link?: boolean; resolved?: string }>
  const folderOf = new Map(WORKSPACE_PACKAGES.map(([folder, name]) => [name, folder]))

  /** Lockfile locations of the production dependency closure of `names` (node's lookup: nested, then hoisted). */
  function closure(names: string[]): Map<string, string> {
    const seen = new Map<string, string>()
    const visit = (name: string, from: string) => {
      if (seen.has(name)) return
      const folder = folderOf.get(name)
      const location = folder ?? [`${from}/node_modules/${name}`, `node_modules/${name}`].find((l) => lock[l.replace(/^\//, '')])?.replace(/^\//, '')
      if (!location) throw new Error(`${name} (needed by ${from || 'the edge host'}) is not in package-lock.json`)
      seen.set(name, location)
      for (const dep of Object.keys(lock[location]?.dependencies ?? {})) visit(dep, location)
    }
    for (const n of names) visit(n, '')
    return seen
  }

  const bytesUnder = (dir: string): number => {
    let n = 0
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name)
      if (e.isDirectory()) n += bytesUnder(p)
      else if (e.isFile()) n += statSync(p).size
    }
    return n
  }

  it('pulls no compiler', () => {
    const names = [...closure(EDGE_PACKAGES).keys()]
    expect(names).toContain('@jaegis/artifact')
    expect(names.filter((n) => COMPILER_PACKAGES.includes(n) || n.startsWith('@bytecodealliance/'))).toEqual([])
  })

  it('is at most 10 MB (workspace packages as npm would pack them, the rest as installed)', () => {
    let bytes = 0
    for (const [name, location] of closure(EDGE_PACKAGES)) {
      if (folderOf.has(name)) {
        const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: join(root, location), stdio: ['ignore', 'pipe', 'ignore'] })
        const [{ unpackedSize, files }] = JSON.parse(String(out)) as [{ unpackedSize: number; files: { path: string }[] }]
        expect(files.some((f) => f.path.startsWith('dist/')), `${name} packs its dist/ (run npm run build)`).toBe(true)
        bytes += unpackedSize
      } else {
        expect(existsSync(join(root, location))).toBe(true)
        bytes += bytesUnder(join(root, location))
      }
    }
    expect(bytes / 1e6).toBeLessThanOrEqual(10)
  })
})
