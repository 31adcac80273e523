// The primary of `jaegis serve --workers N`: keeps the store, deployments, logs, metrics, the
// autoscaler and the admin API (on a private Unix socket the workers forward to), and N worker
// processes that share the public port and serve functions. Every change reaches every worker
// before the admin API answers; their events, logs and stats come back here.
import cluster, { type Worker } from 'node:cluster'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { builtScript, type Artifact, type FunctionStats, type RuntimeReplicas } from '@jaegis/runtime'
import { createControl, type Control } from '../control.js'
import { deployOnStart, listen, serverInfo, urlFor, type JaegisServer, type ServerOptions } from '../server.js'
import { unpackEvents } from './event-batch.js'
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js'

const workerScript = (): string => builtScript('worker', import.meta.url, '../dist/cluster').pathname

interface Member {
  worker: Worker
  /** Bootstrapped with the current state (after its hello). */
  live: boolean
  acked: number
  stats: Record<string, FunctionStats & { digest: string }>
}

/** The workers as the primary's runtime sees them: replicas told about every change. */
class WorkerReplicas implements RuntimeReplicas {
  readonly members = new Map<number, Member>()
  private readonly artifacts = new Map<string, Artifact>()
  private readonly pools = new Map<string, { minWarm: number; maxWarm: number }>()
  private keys: Array<[string, string]> = []
  private seq = 0
  private waiters: Array<{ seq: number; resolve(): void }> = []

  activated(artifact: Artifact): void {
    const name = artifact.meta.config.name
    this.artifacts.set(name, artifact)
    this.pools.delete(name)
    this.broadcast((seq) => ({ t: 'activate', seq, artifact }))
  }

  unloaded(name: string): void {
    this.artifacts.delete(name)
    this.pools.delete(name)
    this.broadcast((seq) => ({ t: 'unload', seq, name }))
  }

  poolSet(name: string, minWarm: number, maxWarm: number): void {
    this.pools.set(name, { minWarm, maxWarm })
    this.broadcast((seq) => ({ t: 'pool', seq, name, minWarm, maxWarm }))
  }

  setKeys(keys: Map<string, string>): void {
    this.keys = [...keys]
    this.broadcast((seq) => ({ t: 'keys', seq, keys: this.keys }))
  }

  stats(): Array<Record<string, FunctionStats & { digest: string }>> {
    return [...this.members.values()].map((m) => m.stats)
  }

  synced(): Promise<void> {
    const seq = this.seq
    if (this.caughtUp(seq)) return Promise.resolve()
    return new Promise((resolve) => this.waiters.push({ seq, resolve }))
  }

  /** Sends the whole current state to a member that said hello (new or restarted). */
  bootstrap(m: Member): void {
    for (const artifact of this.artifacts.values()) this.send(m, { t: 'activate', seq: this.seq, artifact })
    for (const [name, p] of this.pools) this.send(m, { t: 'pool', seq: this.seq, name, ...p })
    this.send(m, { t: 'keys', seq: this.seq, keys: this.keys })
    m.live = true
  }

  acked(m: Member, seq: number): void {
    m.acked = Math.max(m.acked, seq)
    this.release()
  }

  /** A member left: nobody waits for it. */
  remove(id: number): void {
    this.members.delete(id)
    this.release()
  }

  send(m: Member, msg: ToWorker): void {
    if (m.worker.isConnected()) m.worker.send(msg)
  }

  private broadcast(make: (seq: number) => ToWorker): void {
    const msg = make(++this.seq)
    for (const m of this.members.values()) if (m.live) this.send(m, msg)
  }

  private caughtUp(seq: number): boolean {
    for (const m of this.members.values()) if (m.live && m.acked < seq) return false
    return true
  }

  private release(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!this.caughtUp(w.seq)) return true
      w.resolve()
      return false
    })
  }
}

export async function startPrimary(options: ServerOptions, count: number): Promise<JaegisServer> {
  const replicas = new WorkerReplicas()
  const control: Control = await createControl(options, { lanes: false, replicas }, (keys) => replicas.setKeys(keys))
  // The admin API and /metrics, for the workers to forward to.
  const controlSocket = join(tmpdir(), `jaegis-control-${process.pid}-${randomBytes(4).toString('hex')}.sock`)
  const controlServer = createServer({ keepAlive: true }, (req, res) => control.handle(req, res))
  await listen(controlServer, controlSocket)
  await control.deployer.restore()

  // Workers accept from the shared socket themselves (SCHED_NONE) unless NODE_CLUSTER_SCHED_POLICY
  // says otherwise. Measured (npm run bench:concurrency, 4 workers): 50,000 connections opened in
  // ~5 s were all answered this way, while with round-robin the primary, accepting every connection
  // and passing it on, fell behind, the listen queue overflowed and about half were reset; keep-alive
  // throughput (bench:http, 2 workers) was the same either way within the machine's noise.
  if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) cluster.schedulingPolicy = cluster.SCHED_NONE
  cluster.setupPrimary({ exec: workerScript(), serialization: 'advanced' })
  let closing = false
  const config: WorkerConfig = { port: options.port ?? 8080, host: options.host ?? '127.0.0.1', controlSocket, ...(options.maxInflight ? { maxInflight: options.maxInflight } : {}), ...(options.timeouts ? { timeouts: options.timeouts } : {}) }
  let listening: ((port: number) => void) | undefined
  let startFailed: ((err: Error) => void) | undefined
  /** Restarts of crashed workers back off: a worker that cannot start must not spin. */
  let restarts = 0

  const fork = (): Worker => {
    const worker = cluster.fork({ JAEGIS_WORKER_CONFIG: JSON.stringify(config) })
    const m: Member = { worker, live: false, acked: 0, stats: {} }
    replicas.members.set(worker.id, m)
    worker.on('message', (msg: FromWorker) => {
      switch (msg.t) {
        case 'hello':
          replicas.bootstrap(m)
          replicas.send(m, { t: 'listen' })
          return
        case 'ack':
          if (msg.error) control.onError('worker', new Error(`worker ${worker.id} could not apply change ${msg.seq}: ${msg.error}`))
          replicas.acked(m, msg.seq)
          return
        case 'listening':
          listening?.(msg.port)
          return
        case 'listen-failed':
          startFailed?.(new Error(`worker could not listen on ${config.host}:${config.port}: ${msg.error}`))
          return
        case 'batch':
          unpackEvents(msg.events, control.observe)
          for (const l of msg.logs) control.log(l)
          for (const [name, code] of msg.rejects) control.metrics.gatewayError(name, code)
          return
        case 'stats':
          m.stats = msg.functions
          return
      }
    })
    worker.on('exit', (code, signal) => {
      replicas.remove(worker.id)
      if (closing || startFailed) return
      const delayMs = Math.min(30_000, 100 * 2 ** Math.min(restarts++, 9))
      control.onError('worker', new Error(`worker ${worker.id} exited (${signal ?? `code ${code}`}); starting another in ${delayMs} ms`))
      setTimeout(() => {
        if (!closing) fork()
      }, delayMs).unref()
    })
    return worker
  }

  // Every worker listens on the same address (port 0 too: node:cluster gives them one free port).
  let port = 0
  try {
    await new Promise<void>((resolve, reject) => {
      let started = 0
      startFailed = reject
      listening = (p) => {
        port = p
        if (++started === count) resolve()
      }
      for (let i = 0; i < count; i++) fork()
    })
  } catch (err) {
    closing = true
    for (const m of replicas.members.values()) m.worker.process.kill('SIGKILL')
    controlServer.close()
    rmSync(controlSocket, { force: true })
    await control.logs.close()
    control.runtime.close()
    await control.store.close()
    throw err
  }
  listening = undefined
  startFailed = undefined
  // A worker that lived long enough resets the back-off.
  setInterval(() => (restarts = 0), 60_000).unref()
  const { url } = urlFor(config.host, config.host.includes(':') ? 'IPv6' : 'IPv4', port)
  control.setBaseUrl(url)
  const deployed = await deployOnStart(control, options.deployOnStart ?? [], url)
  await control.refreshKeys()
  await replicas.synced()
  control.driver?.start()

  return {
    ...serverInfo(control, url, port, deployed, count),
    async close(graceMs = 10_000) {
      closing = true
      control.shuttingDown = true
      control.driver?.stop()
      control.recorder.stop()
      const exits = [...replicas.members.values()].map(
        (m) =>
          new Promise<void>((resolve) => {
            if (m.worker.isDead()) return resolve()
            m.worker.once('exit', () => resolve())
            replicas.send(m, { t: 'close', graceMs })
            setTimeout(() => m.worker.process.kill('SIGKILL'), graceMs + 2_000).unref()
          }),
      )
      await Promise.all(exits)
      const controlClosed = new Promise<void>((ok) => controlServer.close(() => ok()))
      controlServer.closeAllConnections()
      await controlClosed
      rmSync(controlSocket, { force: true })
      await control.logs.close()
      control.runtime.close()
      await control.store.close()
    },
  }
}
