// Cloudflare's workerd as a bench:http peer: a JavaScript hello answering what Jaegis's hello
// function answers, served by the binary the `workerd` npm package installs (a devDependency; no
// download at run time). Config and worker go to a temp dir; the process is stopped by its pid.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** functions/hello in JavaScript: `Hello, <?name= or world>!\n`, text/plain; charset=utf-8. */
export const HELLO_WORKER = `export default {
  fetch(request) {
    const name = new URL(request.url).searchParams.get('name')
    return new Response('Hello, ' + (name ? name : 'world') + '!\\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } })
  },
}
`

/** Ports tried for workerd (it needs one in its config): below 32768, under Linux's ephemeral range. */
const PORT_MIN = 20_000
const PORT_MAX = 32_000
/** How long workerd may take to print its "Listening on" line (it compiles the worker first). */
const START_TIMEOUT_MS = 30_000

export interface WorkerdTarget {
  child: ChildProcess
  port: number
  /** Stops workerd (SIGTERM to its pid, SIGKILL after `graceMs`) and removes the temp dir. */
  stop(graceMs?: number): Promise<void>
}

/** The workerd binary and the newest compatibility date it supports, from the npm package. */
export function workerdBinary(): { path: string; compatibilityDate: string; version: string } {
  const pkg = createRequire(import.meta.url)('workerd') as { default: string; compatibilityDate: string; version: string }
  return { path: pkg.default, compatibilityDate: pkg.compatibilityDate, version: pkg.version }
}

function config(port: number, compatibilityDate: string): string {
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "hello", worker = .hello) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "hello") ],
);
const hello :Workerd.Worker = (
  modules = [ (name = "hello.js", esModule = embed "hello.js") ],
  compatibilityDate = "${compatibilityDate}",
);
`
}

/** A port below 32768 that was free a moment ago (workerd binds it itself; a lost race is retried by startWorkerd). */
export async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = PORT_MIN + Math.floor(Math.random() * (PORT_MAX - PORT_MIN))
    const probe = createServer()
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false))
      probe.listen(port, '127.0.0.1', () => resolve(true))
    })
    if (free) {
      await new Promise((r) => probe.close(r))
      return port
    }
  }
}

/** Starts `workerd serve` with the hello worker on 127.0.0.1; resolves once it listens. */
export async function startWorkerd(): Promise<WorkerdTarget> {
  const { path, compatibilityDate } = workerdBinary()
  const dir = mkdtempSync(join(tmpdir(), 'jaegis-workerd-'))
  writeFileSync(join(dir, 'hello.js'), HELLO_WORKER)
  let lastOutput = ''
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freeLowPort()
    lastOutput = ''
    writeFileSync(join(dir, 'config.capnp'), config(port, compatibilityDate))
    const child = spawn(path, ['serve', join(dir, 'config.capnp')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] })
    const listening = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        lastOutput = `no "Listening on" line after ${START_TIMEOUT_MS} ms`
        process.kill(child.pid!, 'SIGKILL')
      }, START_TIMEOUT_MS)
      child.once('exit', () => clearTimeout(timer))
      let out = ''
      const onData = (chunk: Buffer) => {
        out += String(chunk)
        if (out.includes(`Listening on http://127.0.0.1:${port}`)) {
          clearTimeout(timer)
          resolve(true)
        }
      }
      child.stdout!.on('data', onData)
      child.stderr!.on('data', onData)
      child.once('exit', () => {
        lastOutput ||= out
        resolve(false)
      })
    })
    if (listening) {
      // Keep reading so a chatty workerd never blocks on a full pipe.
      child.stdout!.resume()
      child.stderr!.resume()
      return {
        child,
        port,
        async stop(graceMs = 2000) {
          if (child.exitCode === null && child.signalCode === null) {
            const exited = once(child, 'exit')
            process.kill(child.pid!, 'SIGTERM')
            const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(child.pid!, 'SIGKILL'), graceMs)
            await exited
            clearTimeout(timer)
          }
          rmSync(dir, { recursive: true, force: true })
        },
      }
    }
  }
  rmSync(dir, { recursive: true, force: true })
  throw new Error(`workerd did not start: ${lastOutput.trim().slice(0, 500)}`)
}
