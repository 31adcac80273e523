#!/usr/bin/env node
// Builds everything `npm start` and `npm test` need: the dependency-direction check
// (scripts/check-packages.mjs), TypeScript (tsc --build: each workspace package -> <package>/dist/,
// the benchmarks -> dist/bench/), the kernels (AssemblyScript -> kernels/build/<name>.wasm) and the
// example functions (-> build/functions/<name>/).
// Each step is skipped when its outputs are newer than its inputs, so a second run is fast.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const quiet = process.argv.includes('--quiet')
// `--kernel=NAME` builds that one kernel and nothing else (for working on a kernel without tsc).
const onlyKernel = process.argv.find((a) => a.startsWith('--kernel='))?.slice('--kernel='.length)
const log = (msg) => { if (!quiet) process.stderr.write(`build: ${msg}\n`) }

/** Newest mtime (ms) of every file under `paths` (files or folders). */
function newest(paths) {
  let t = 0
  const walk = (p) => {
    if (!existsSync(p)) return
    const s = statSync(p)
    if (s.isDirectory()) { for (const e of readdirSync(p)) if (e !== 'node_modules') walk(join(p, e)) }
    else t = Math.max(t, s.mtimeMs)
  }
  for (const p of paths) walk(p)
  return t
}
const stale = (outputs, inputs) => outputs.some((o) => !existsSync(o)) || newest(inputs) > Math.min(...outputs.map((o) => statSync(o).mtimeMs))

// 1. TypeScript
if (!onlyKernel) {
  log('check packages')
  try {
    execFileSync(process.execPath, [join(root, 'scripts/check-packages.mjs')], { stdio: 'inherit', cwd: root })
  } catch {
    process.stderr.write('build: package dependency errors above\n')
    process.exit(1)
  }
  log('tsc --build')
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--build', join(root, 'tsconfig.json')], { stdio: 'inherit', cwd: root })
  } catch {
    process.stderr.write('build: TypeScript errors above\n')
    process.exit(1)
  }
}

// 2. Kernels: kernels/<name>/assembly/index.ts -> kernels/build/<name>.wasm (flags from kernels/<name>/asc.json)
const { default: asc } = await import('assemblyscript/asc')
const kernelsDir = join(root, 'kernels')
for (const name of existsSync(kernelsDir) ? readdirSync(kernelsDir) : []) {
  const entry = join(kernelsDir, name, 'assembly', 'index.ts')
  if (!existsSync(entry) || (onlyKernel && name !== onlyKernel)) continue
  const out = join(kernelsDir, 'build', `${name}.wasm`)
  const flagsFile = join(kernelsDir, name, 'asc.json')
  if (!stale([out], [join(kernelsDir, name, 'assembly'), flagsFile, join(root, 'scripts/build.mjs')])) continue
  mkdirSync(dirname(out), { recursive: true })
  const extra = existsSync(flagsFile) ? JSON.parse(readFileSync(flagsFile, 'utf8')).flags ?? [] : []
  log(`asc ${relative(root, entry)}`)
  const { error, stderr } = await asc.main([relative(root, entry), '-O3', '--enable', 'simd', '--outFile', relative(root, out), ...extra], { stdout: process.stdout, stderr: process.stderr, readFile: undefined })
  if (error) { process.stderr.write(String(stderr)); process.exit(1) }
}

// 3. Example functions through our own compiler: functions/<name>/jaegis.toml -> build/functions/<name>/
const functionsDir = join(root, 'functions')
const compilerEntry = join(root, 'compiler', 'dist', 'index.js')
if (!onlyKernel && existsSync(compilerEntry)) {
  const { build } = await import(compilerEntry)
  for (const name of readdirSync(functionsDir)) {
    const dir = join(functionsDir, name)
    if (!existsSync(join(dir, 'jaegis.toml'))) continue
    const outDir = join(root, 'build', 'functions', name)
    if (!stale([join(outDir, 'artifact.json')], [dir, join(functionsDir, 'sdk'), join(root, 'compiler', 'dist')])) continue
    log(`jaegis build functions/${name}`)
    await build(dir, { outDir })
  }
}
log('done')
