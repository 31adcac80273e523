// Signed artifacts end to end with the real `jaegis` binary: keys new -> build --sign-key ->
// serve --trust --require-signed -> deploy; tampered, stripped, unsigned and untrusted artifacts are
// refused by the server with the reason on stderr and a non-zero exit.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT } from './helpers.js'

const BIN = join(ROOT, 'bin', 'jaegis.js')
const run = promisify(execFile)

async function jaegis(args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env: { ...process.env, JAEGIS_SIGN_KEY: '', ...env }, cwd })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('jaegis keys new', () => {
  it('writes a 0600 private key and a .pub line, and never overwrites them without --force', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'jaegis-keys-')), 'keys')
    const made = await jaegis(['keys', 'new', '--out', dir, '--json'])
    expect(made.code, made.stderr).toBe(0)
    const { keyId, privateKey, publicKey } = JSON.parse(made.stdout) as { keyId: string; privateKey: string; publicKey: string }
    expect(keyId).toMatch(/^[0-9a-f]{32}$/)
    expect(privateKey).toBe(join(dir, 'signing.key'))
    expect(statSync(privateKey).mode & 0o777).toBe(0o600)
    expect(readFileSync(publicKey, 'utf8')).toMatch(/^jaegis-sign-v1 [A-Za-z0-9+/]+=* signing\n$/)
    const keyText = readFileSync(privateKey, 'utf8')

    const again = await jaegis(['keys', 'new', '--out', dir])
    expect(again.code).toBe(1)
    expect(again.stderr).toContain(`jaegis keys: ${privateKey} exists; keeping it (pass --force`)
    expect(readFileSync(privateKey, 'utf8')).toBe(keyText)

    const forced = await jaegis(['keys', 'new', '--out', dir, '--force', '--json'])
    expect(forced.code, forced.stderr).toBe(0)
    expect(JSON.parse(forced.stdout).keyId).not.toBe(keyId)
    expect(statSync(privateKey).mode & 0o777).toBe(0o600)
  })
})

describe('signed artifacts through keys new, build, serve --require-signed and deploy', () => {
  let work: string
  let serveChild: ChildProcess
  let url: string
  let served = ''
  let env: Record<string, string>

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'jaegis-sign-e2e-'))
    for (const name of ['ops', 'stranger']) {
      const k = await jaegis(['keys', 'new', '--out', join(work, 'keys'), '--name', name])
      expect(k.code, k.stderr).toBe(0)
    }
    cpSync(join(ROOT, 'functions', 'hello'), join(work, 'hello'), { recursive: true, filter: (p) => !p.includes('hello/build') })
    serveChild = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--workers', '1', '--data', join(work, 'data'), '--trust', join(work, 'keys', 'ops.pub'), '--require-signed'], { stdio: ['ignore', 'pipe', 'pipe'] })
    url = await new Promise<string>((resolve, reject) => {
      const take = (d: Buffer) => {
        served += d
        const m = /serving on (http:\/\/\S+)/.exec(served)
        if (m && served.includes('signatures:')) resolve(m[1]!)
      }
      serveChild.stdout!.on('data', take)
      serveChild.stderr!.on('data', take)
      serveChild.once('exit', () => reject(new Error(`serve exited: ${served}`)))
    })
    env = { JAEGIS_URL: url, JAEGIS_DATA: join(work, 'data') }
  })
  afterAll(async () => {
    if (serveChild && serveChild.exitCode === null) {
      serveChild.kill('SIGTERM')
      await new Promise((r) => serveChild.once('exit', r))
    }
  })

  it('announces its policy at start', () => {
    expect(served).toContain('signatures: 1 trusted key; unsigned artifacts refused, bad signatures refused')
  })

  it('deploys what ops signed, and refuses it tampered, stripped, unsigned or signed by another key', async () => {
    const built = await jaegis(['build', join(work, 'hello'), '--sign-key', join(work, 'keys', 'ops.key')])
    expect(built.code, built.stderr).toBe(0)
    expect(built.stdout).toMatch(/built hello: .* signed by [0-9a-f]{32}\)/)
    const artifactDir = join(work, 'hello', 'build')
    const meta = JSON.parse(readFileSync(join(artifactDir, 'artifact.json'), 'utf8'))
    expect(Object.keys(meta.signature).sort()).toEqual(['alg', 'ed25519', 'keyId', 'mlDsa65', 'publicKey'])

    /** A copy of the signed artifact folder, edited. */
    const variant = (name: string, edit: (m: Record<string, unknown>, wasm: Buffer) => Buffer | void) => {
      const dir = join(work, name)
      cpSync(artifactDir, dir, { recursive: true })
      const m = JSON.parse(readFileSync(join(dir, 'artifact.json'), 'utf8'))
      const wasm = readFileSync(join(dir, 'module.wasm'))
      const w = edit(m, wasm) ?? wasm
      writeFileSync(join(dir, 'module.wasm'), w)
      writeFileSync(join(dir, 'artifact.json'), JSON.stringify(m))
      return dir
    }
    const sha = async (b: Buffer) => (await import('node:crypto')).createHash('sha256').update(b).digest('hex')
    const flippedWasm = Buffer.from(readFileSync(join(artifactDir, 'module.wasm')))
    flippedWasm[flippedWasm.length - 10]! ^= 1
    const flippedDigest = await sha(flippedWasm)
    const tampered = variant('tampered', (m) => {
      m.digest = flippedDigest
      return flippedWasm
    })
    const stripped = variant('stripped', (m) => void delete (m.signature as Record<string, unknown>).mlDsa65)
    const unsigned = variant('unsigned', (m) => void delete m.signature)

    for (const [dir, reason] of [
      [tampered, /jaegis deploy: artifact [0-9a-f]{12} has an invalid signature: the ML-DSA-65 and Ed25519 signature does not verify/],
      [stripped, /jaegis deploy: artifact [0-9a-f]{12} has an invalid signature: the ML-DSA-65 half \(3309 bytes\) is missing or malformed/],
      [unsigned, /jaegis deploy: artifact [0-9a-f]{12} is not signed, and this host requires signed artifacts/],
    ] as const) {
      const r = await jaegis(['deploy', dir], env)
      expect(r.code, `${dir}: ${r.stdout}`).toBe(1)
      expect(r.stderr).toMatch(reason)
    }
    // Built and signed on the way by a key the server does not trust (the key from the environment).
    const stranger = await jaegis(['deploy', join(work, 'hello')], { ...env, JAEGIS_SIGN_KEY: join(work, 'keys', 'stranger.key') })
    expect(stranger.code).toBe(1)
    expect(stranger.stderr).toMatch(/jaegis deploy: artifact [0-9a-f]{12} is signed by key [0-9a-f]{32}, which is not on this host's trust list/)
    expect((await fetch(`${url}/fn/hello`)).status).toBe(404)

    // The stranger's deploy rebuilt hello/build: sign it again with ops, through the flag this time.
    expect((await jaegis(['build', join(work, 'hello'), '--sign-key', join(work, 'keys', 'ops.key')])).code).toBe(0)
    const ok = await jaegis(['deploy', artifactDir], env)
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toMatch(/^deployed hello v1 /)
    expect(await (await fetch(`${url}/fn/hello?name=ops`)).text()).toBe('Hello, ops!\n')
  }, 240_000) // three AssemblyScript builds: slow on a busy machine

  it('refuses --require-signed without a trust list, and a trust list that holds no key', async () => {
    const noTrust = await jaegis(['serve', '--port', '0', '--require-signed', '--data', join(work, 'data2')])
    expect(noTrust.code).toBe(2)
    expect(noTrust.stderr).toContain('--require-signed needs --trust <file|dir>')
    writeFileSync(join(work, 'empty.pub'), '# nobody yet\n')
    const empty = await jaegis(['serve', '--port', '0', '--trust', join(work, 'empty.pub'), '--data', join(work, 'data2')])
    expect(empty.code).toBe(1)
    expect(empty.stderr).toContain(`trust list ${join(work, 'empty.pub')} holds no public key`)
  })
})
