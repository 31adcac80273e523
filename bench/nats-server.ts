// A private nats-server with JetStream for tests and benchmarks: its own port (below 32768), its own
// store folder, stopped by pid. Never the system service Debian installs. The one helper every
// cluster test and bench:cluster imports.
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect as tcpConnect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where Debian puts it; `$NATS_SERVER` overrides. */
export const NATS_SERVER_BIN = process.env.NATS_SERVER ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server')

export interface NatsServerProcess {
  url: string
  port: number
  storeDir: string
  pid: number
  /** Stops it by pid (SIGTERM, SIGKILL after `graceMs`). Keeps the store folder. */
  stop(graceMs?: number): Promise<void>
  /** Starts it again on the same port and store (a restart the clients must ride out). */
  restart(): Promise<void>
  /** Stops it and removes the store folder. */
  destroy(): Promise<void>
}

/** A free TCP port in [20000, 32767] on `host` (checked by binding it; the caller retries on a race). */
export async function freePortBelow32768(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_767)
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer()
      s.once('error', () => resolve(false))
      s.listen(port, host, () => s.close(() => resolve(true)))
    })
    if (ok) return port
  }
  throw new Error('no free port found below 32768')
}

/** Resolves once a TCP client gets nats-server's INFO line on `port`, or rejects after `timeoutMs`. */
export async function waitForNats(port: number, timeoutMs = 10_000, child?: ChildProcess, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`nats-server exited with ${child.exitCode} before accepting connections`)
    const ok = await new Promise<boolean>((resolve) => {
      const sock = tcpConnect(port, host)
      const done = (v: boolean) => {
        sock.destroy()
        resolve(v)
      }
      sock.setTimeout(500, () => done(false))
      sock.once('data', (d) => done(d.toString('latin1').startsWith('INFO')))
      sock.once('error', () => done(false))
    })
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`nats-server on port ${port} did not accept connections within ${timeoutMs} ms`)
}

/**
 * Starts nats-server -js on a free port with a fresh store folder and waits until it accepts connections.
 * `host` is the address it listens on (default 127.0.0.1; the cluster test's bridge address when hosts
 * run in network namespaces, see bench/netns.ts).
 */
export interface NatsServerOptions {
  port?: number
  storeDir?: string
  host?: string
  /**
   * A configuration file's text for this address, port and store (edge sites: the hub and leaf nodes
   * of server/fleet/site-config.ts). @default none: `-js -a <host> -p <port> -sd <store>`
   */
  config?: (at: { host: string; port: number; storeDir: string }) => string
  /** A network namespace to run in (`ip netns exec`, which execs: the pid held is nats-server's). */
  netns?: string
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerProcess> {
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'jaegis-nats-'))
  const host = options.host ?? '127.0.0.1'
  let port = options.port ?? (await freePortBelow32768(host))
  let child: ChildProcess | undefined
  const launch = async () => {
    let args = ['-js', '-a', host, '-p', String(port), '-sd', storeDir]
    if (options.config) {
      const file = join(storeDir, 'nats.conf')
      writeFileSync(file, options.config({ host, port, storeDir }))
      args = ['-c', file]
    }
    const [cmd, argv] = options.netns ? ['ip', ['netns', 'exec', options.netns, NATS_SERVER_BIN, ...args]] : [NATS_SERVER_BIN, args]
    const c = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    c.stderr!.on('data', (d) => (stderr = (stderr + d.toString()).slice(-4000)))
    c.once('error', () => {})
    try {
      await waitForNats(port, 10_000, c, host)
    } catch (err) {
      c.kill('SIGKILL')
      throw new Error(`${(err as Error).message}\n${stderr}`)
    }
    child = c
    // If this process ends without stopping it (a crashed test worker), the server goes with it.
    const reap = () => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')
    process.once('exit', reap)
    c.once('exit', () => process.removeListener('exit', reap))
  }
  for (let attempt = 0; ; attempt++) {
    try {
      await launch()
      break
    } catch (err) {
      if (options.port !== undefined || attempt >= 3) throw err
      port = await freePortBelow32768(host) // lost the port to someone else: another one
    }
  }
  const stop = async (graceMs = 5_000) => {
    const c = child
    if (!c || c.exitCode !== null || c.signalCode !== null) return
    const exited = new Promise<void>((r) => c.once('exit', () => r()))
    process.kill(c.pid!, 'SIGTERM')
    const t = setTimeout(() => c.exitCode === null && c.signalCode === null && process.kill(c.pid!, 'SIGKILL'), graceMs)
    await exited
    clearTimeout(t)
  }
  const handle: NatsServerProcess = {
    url: `nats://${host}:${port}`,
    port,
    storeDir,
    get pid() {
      return child?.pid ?? -1
    },
    stop,
    async restart() {
      await stop()
      await launch()
    },
    async destroy() {
      await stop()
      rmSync(storeDir, { recursive: true, force: true })
    },
  }
  return handle
}
