// `jaegis new` points its users at documentation that exists: every docs/ link in what it writes or
// prints names a file of this package, and every #anchor a heading in it.
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { main } from '../cli/main.js'
import { ROOT } from './helpers.js'

/** GitHub's heading anchor: lower-case, punctuation dropped, spaces to "-". */
const anchor = (heading: string) => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')

function docLinks(text: string): Array<{ file: string; hash?: string }> {
  return [...text.matchAll(/docs\/([\w./-]+\.md)(?:#([\w-]+))?/g)].map((m) => ({ file: m[1]!, ...(m[2] ? { hash: m[2] } : {}) }))
}

function checkLinks(text: string): number {
  const links = docLinks(text)
  for (const { file, hash } of links) {
    let doc = ''
    expect(() => (doc = readFileSync(join(ROOT, 'docs', file), 'utf8')), `docs/${file} exists`).not.toThrow()
    if (hash) expect(doc.split('\n').filter((l) => /^#+ /.test(l)).map((l) => anchor(l.replace(/^#+ /, ''))), `docs/${file}#${hash}`).toContain(hash)
  }
  return links.length
}

async function runNew(args: string[]): Promise<{ code: number; printed: string; cwd: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'jaegis-new-'))
  let printed = ''
  const write = (t: string) => { printed += t }
  const code = await main(['new', ...args], { out: write, err: write, line: (t) => write(t + '\n'), errLine: (t) => write(t + '\n'), isTTY: false, env: {}, cwd })
  return { code, printed, cwd }
}

describe('jaegis new', () => {
  it('writes an AssemblyScript manifest whose docs links exist', async () => {
    const { code, printed, cwd } = await runNew(['hello-docs'])
    expect(code, printed).toBe(0)
    const toml = readFileSync(join(cwd, 'hello-docs', 'jaegis.toml'), 'utf8')
    expect(checkLinks(toml + printed)).toBeGreaterThan(0)
  })

  it('writes a JavaScript manifest whose docs links exist', async () => {
    const { code, printed, cwd } = await runNew(['js-docs', '--lang', 'js'])
    expect(code, printed).toBe(0)
    const toml = readFileSync(join(cwd, 'js-docs', 'jaegis.toml'), 'utf8')
    expect(checkLinks(toml + printed)).toBeGreaterThan(0)
  })
})
