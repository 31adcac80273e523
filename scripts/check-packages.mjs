#!/usr/bin/env node
// Fails (exit 1) when an import points the wrong way between the workspace packages: every package
// may import only node's built-ins, itself by relative path (never out of its folder), and the
// packages its package.json declares; and it may declare only the workspace packages ALLOWED gives
// it, which is DESIGN.md's arrows: cli -> server -> (gateway, scheduler, compiler) -> runtime -> artifact.
// TypeScript's own parser (ts.preProcessFile) finds the imports, so text inside strings and
// template literals (scaffolds) is not mistaken for one. `--root DIR` checks another tree (tests).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { builtinModules, createRequire } from 'node:module'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Folder -> the workspace packages it may depend on. One owner of the arrows. */
export const ALLOWED = {
  artifact: [],
  runtime: ['@jaegis/artifact'],
  gateway: ['@jaegis/runtime', '@jaegis/artifact'],
  compiler: ['@jaegis/runtime', '@jaegis/artifact', '@jaegis/sdk'],
  kernels: ['@jaegis/runtime'],
  scheduler: ['@jaegis/kernels'],
  server: ['@jaegis/gateway', '@jaegis/scheduler', '@jaegis/compiler', '@jaegis/runtime', '@jaegis/artifact', '@jaegis/kernels'],
  cli: ['@jaegis/server', '@jaegis/gateway', '@jaegis/scheduler', '@jaegis/compiler', '@jaegis/kernels', '@jaegis/runtime', '@jaegis/artifact'],
}

const SKIP_DIRS = new Set(['node_modules', 'dist', 'build', 'assembly', 'static'])

function* sources(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) { if (!SKIP_DIRS.has(e.name)) yield* sources(join(dir, e.name)) }
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !e.name.endsWith('.test.ts')) yield join(dir, e.name)
  }
}

/** The package a bare specifier names: "@a/b/c" -> "@a/b", "x/y" -> "x". */
const packageOf = (spec) => spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
const builtins = new Set(builtinModules)

/** Problems in the workspace at `root` (strings "file: message"). */
export function checkPackages(root, ts) {
  const problems = []
  for (const [folder, allowed] of Object.entries(ALLOWED)) {
    const dir = join(root, folder)
    const pkgFile = join(dir, 'package.json')
    if (!existsSync(pkgFile)) { problems.push(`${folder}/package.json: missing`); continue }
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})])
    for (const dep of declared) {
      if ((dep.startsWith('@jaegis/') || dep === 'jaegis') && !allowed.includes(dep)) problems.push(`${folder}/package.json: declares ${dep}, but ${pkg.name} may depend only on ${allowed.join(', ') || 'no workspace package'}`)
    }
    for (const file of sources(dir)) {
      const rel = relative(root, file)
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true)
      for (const { fileName: spec } of importedFiles) {
        if (spec.startsWith('node:') || builtins.has(spec)) continue
        if (spec.startsWith('.')) {
          const target = resolve(dirname(file), spec)
          if (target !== dir && !target.startsWith(dir + sep)) problems.push(`${rel}: imports ${spec}, outside the ${pkg.name} package (import the package that owns it by name)`)
          continue
        }
        const name = packageOf(spec)
        if (name === pkg.name) continue
        if (!declared.has(name)) problems.push(`${rel}: imports ${spec}, but ${pkg.name} does not declare ${name} in ${folder}/package.json`)
      }
    }
  }
  return problems
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const i = process.argv.indexOf('--root')
  const root = i > 0 ? resolve(process.argv[i + 1]) : join(dirname(fileURLToPath(import.meta.url)), '..')
  const ts = createRequire(import.meta.url)('typescript')
  const problems = checkPackages(root, ts)
  for (const p of problems) process.stderr.write(`check-packages: ${p}\n`)
  process.exit(problems.length ? 1 : 0)
}
