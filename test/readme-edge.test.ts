// The README's edge-host program, run as written (only its port changed): it imports the workspace
// packages by the names the README gives, loads an artifact built by `jaegis build`, answers over
// HTTP and stops on SIGTERM. Fails when a package name, an export or the embedding API drifts.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { jaegis } from './kernels/cli-run.js'
import { ROOT } from './helpers.js'

// Inside the repository, so that node resolves @jaegis/* through the workspace's node_modules as an
// installed edge host would through its own.
mkdirSync(join(ROOT, 'test-output'), { recursive: true })
const dir = mkdtempSync(join(ROOT, 'test-output', 'readme-edge-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function readmeEdgeProgram(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const m = /```js\n(\/\/ edge\.mjs[\s\S]*?)```/.exec(readme)
  if (!m) throw new Error('README has no edge.mjs block')
  return m[1]!
}

it('runs the README edge-host program unchanged but for its port', async () => {
  const program = readmeEdgeProgram()
  expect(program).toMatch(/server\.listen\(8081\)/)
  expect((await jaegis(['new', 'hello-you'], dir)).code).toBe(0)
  expect((await jaegis(['build', 'hello-you'], dir)).code).toBe(0)
  const port = 20000 + Math.floor(Math.random() * 10000)
  writeFileSync(join(dir, 'edge.mjs'), program.replace('server.listen(8081)', `server.listen(${port})`))
  const child = spawn(process.execPath, ['edge.mjs'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (c) => (out += c))
  child.stderr.on('data', (c) => (err += c))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    for (let i = 0; i < 200 && !out.includes('Hello, edge!'); i++) await new Promise((r) => setTimeout(r, 50))
    expect(err).toBe('')
    expect(out).toContain('200 Hello, edge!')
    let res: Response | undefined
    for (let i = 0; i < 100 && !res; i++) {
      res = await fetch(`http://127.0.0.1:${port}/fn/hello-you?name=README`).catch(() => undefined)
      if (!res) await new Promise((r) => setTimeout(r, 50))
    }
    expect(res?.status).toBe(200)
    expect(await res!.text()).toBe('Hello, README!\n')
  } finally {
    child.kill('SIGTERM')
  }
  expect(await exited).toBe(0)
})
