// npm run bench:install: the production install size of what an edge host installs
// (@jaegis/runtime + @jaegis/gateway, what the README's edge-host program imports) and of the CLI
// (`jaegis`, which depends on every package). Each workspace package is packed with `npm pack`
// (exactly what would be published) and installed from those tarballs into an empty folder with
// `npm install --omit=dev`; third-party packages come from the registry (or npm's cache).
// Last line: {"edge_install_mb", "cli_install_mb", ...}; MB = 10^6 bytes of file contents.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { COMPILER_PACKAGES, EDGE_PACKAGES, WORKSPACE_PACKAGES } from './packages.js'
import { isMain, printResult, projectRoot, round } from './util.js'

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'

/** Sum of file sizes under the node_modules folder `dir` (bytes) and the packages installed in it, nested ones included. */
function measure(dir: string): { bytes: number; packages: string[] } {
  let bytes = 0
  const packages: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) bytes += statSync(p).size
    }
  }
  walk(dir)
  const list = (d: string, prefix = '') => {
    if (!existsSync(d)) return
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name === '.bin') continue
      if (e.name.startsWith('@')) list(join(d, e.name), `${e.name}/`)
      else if (existsSync(join(d, e.name, 'package.json'))) {
        packages.push(prefix + e.name)
        list(join(d, e.name, 'node_modules'))
      }
    }
  }
  list(dir)
  return { bytes, packages }
}

function install(tarballs: string[], label: string): { mb: number; packages: string[]; seconds: number } {
  const dir = mkdtempSync(join(tmpdir(), `jaegis-install-${label}-`))
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `install-${label}`, private: true }))
    const t0 = performance.now()
    execFileSync(npm, ['install', '--omit=dev', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=error', ...tarballs], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] })
    const seconds = (performance.now() - t0) / 1000
    rmSync(join(dir, 'package.json'))
    const { bytes, packages } = measure(join(dir, 'node_modules'))
    return { mb: bytes / 1e6, packages, seconds }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const root = projectRoot()
  const packs = mkdtempSync(join(tmpdir(), 'jaegis-packs-'))
  try {
    const tarball = new Map<string, string>()
    for (const [folder, name] of WORKSPACE_PACKAGES) {
      const out = execFileSync(npm, ['pack', '--json', '--pack-destination', packs], { cwd: join(root, folder), stdio: ['ignore', 'pipe', 'inherit'] })
      tarball.set(name, join(packs, JSON.parse(String(out))[0].filename))
    }
    // An edge host's packages and the workspace packages they depend on (from the registry once published).
    const edgeNames = ['@jaegis/artifact', ...EDGE_PACKAGES]
    const edge = install(edgeNames.map((n) => tarball.get(n)!), 'edge')
    const cli = install([...tarball.values()], 'cli')
    const compilers = edge.packages.filter((p) => COMPILER_PACKAGES.includes(p))
    return {
      edge_install_mb: round(edge.mb, 2),
      cli_install_mb: round(cli.mb, 1),
      edge_packages: edge.packages.sort(),
      edge_compiler_packages: compilers,
      cli_packages: cli.packages.length,
      edge_install_s: round(edge.seconds, 1),
      cli_install_s: round(cli.seconds, 1),
      goal_edge_install_mb: 10,
    }
  } finally {
    rmSync(packs, { recursive: true, force: true })
  }
}

if (isMain(import.meta.url)) {
  const result = await run()
  process.stderr.write(`edge host (@jaegis/runtime + @jaegis/gateway): ${result.edge_install_mb} MB, packages ${(result.edge_packages as string[]).join(', ')}\n`)
  process.stderr.write(`CLI (jaegis): ${result.cli_install_mb} MB in ${result.cli_packages} packages\n`)
  printResult(result)
}
