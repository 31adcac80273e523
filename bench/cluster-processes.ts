// Real `jaegis control` / `jaegis host` processes around a private nats-server, for bench:cluster and
// the cluster tests (test/fleet-cluster.test.ts): ports below 32768, stopped by pid; on loopback, or a
// host in its own network namespace (`ip netns exec`, bench/netns.ts) listening on its address there.
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePortBelow32768 } from './nats-server.js'
import { projectRoot } from './util.js'

const BIN = join(projectRoot(), 'bin', 'jaegis.js')
export const TOKEN = 'jgs_fleet-test-token'

export interface JaegisProcess {
  id: string
  url: string
  port: number
  child: ChildProcess
  output(): string
  /** SIGKILL (a crash) or SIGTERM (a clean leave), by pid; resolves when it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>
}

export interface Placement {
  /** A network namespace to run in: `ip netns exec <ns> node ...` (ip execs node: the child's pid is node's). */
  netns?: string
  /** The address to listen on (`--host`); the URL the test uses. @default "127.0.0.1" */
  address?: string
  /** Listen on 0.0.0.0 (all of the namespace's addresses) and leave the advertised URL to the process. */
  wildcard?: boolean
}

/** Starts `jaegis <args> --port <free>` and resolves once it printed `ready` (a regular expression). */
export async function startJaegis(id: string, args: string[], ready: RegExp, where: Placement = {}): Promise<JaegisProcess> {
  const address = where.address ?? '127.0.0.1'
  // In a namespace of its own every port is free; the check on the root namespace's loopback is harmless.
  const port = await freePortBelow32768()
  const hostArgs = where.wildcard ? ['--host', '0.0.0.0'] : where.address ? ['--host', address] : []
  const argv = [BIN, ...args, ...hostArgs, '--port', String(port), '--data', mkdtempSync(join(tmpdir(), `jaegis-${id}-`))]
  const [cmd, cmdArgs] = where.netns ? ['ip', ['netns', 'exec', where.netns, process.execPath, ...argv]] : [process.execPath, argv]
  const child = spawn(cmd, cmdArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, JAEGIS_TOKEN: TOKEN } })
  const reap = () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')
  process.once('exit', reap) // a crashed test worker takes its cluster with it
  child.once('exit', () => process.removeListener('exit', reap))
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${id} did not start within 20 s:\n${out}`)), 20_000)
    const check = () => {
      if (ready.test(out)) {
        clearTimeout(t)
        resolve()
      }
    }
    child.stdout!.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(t)
      reject(new Error(`${id} exited with ${code}:\n${out}`))
    })
  })
  return {
    id,
    url: `http://${address}:${port}`,
    port,
    child,
    output: () => out,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise<void>((r) => child.once('exit', () => r()))
      process.kill(child.pid!, signal)
      await exited
    },
  }
}

export const startControl = (id: string, natsUrl: string, extra: string[] = []) => startJaegis(id, ['control', '--nats', natsUrl, '--id', id, ...extra], /jaegis control .* on http/)
export const startHost = (id: string, natsUrl: string, region: string, extra: string[] = [], where: Placement = {}) =>
  startJaegis(id, ['host', '--nats', natsUrl, '--id', id, '--tier', 'edge-1', '--region', region, ...extra], /jaegis host .* serving on/, where)

export interface ClusterView {
  id: string
  leader: boolean
  plan: { epoch: number; reason: string; publishedAtMs: number; causeAtMs: number; functions: Record<string, { hosts: string[]; digest: string }> } | null
  hosts: Array<{ id: string; url: string; last_seen_ms_ago: number; loaded: Record<string, string> }>
}

export async function clusterView(control: JaegisProcess): Promise<ClusterView> {
  const r = await fetch(`${control.url}/_api/v1/cluster`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(2000) })
  if (r.status !== 200) throw new Error(`cluster view: ${r.status} ${await r.text()}`)
  return (await r.json()) as ClusterView
}

/** Polls `probe` every 50 ms until it returns a value (not undefined), or throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const v = await probe()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`)
}

/** `jaegis deploy <dir>` against a control plane. */
export async function deployThrough(control: JaegisProcess, dir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'deploy', dir, '--url', control.url, '--token', TOKEN], { timeout: 30_000 })
  return stdout
}

/** One GET (a POST when `jsonBody` is given) with a hard timeout: a status, or 'timeout' / 'error: ...'. Never hangs. */
export async function get(url: string, timeoutMs = 2000, jsonBody?: string): Promise<{ status: number | string; servedBy?: string; body?: string }> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), ...(jsonBody !== undefined ? { method: 'POST', body: jsonBody, headers: { 'content-type': 'application/json' } } : {}) })
    return { status: r.status, servedBy: r.headers.get('x-jaegis-host') ?? undefined, body: await r.text() }
  } catch (err) {
    return { status: (err as Error).name === 'TimeoutError' ? 'timeout' : `error: ${(err as Error).message}` }
  }
}
