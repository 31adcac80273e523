// What one `jaegis serve` owns whatever the number of processes: the store, deployments, logs,
// metrics, the autoscaler and the admin API, around one runtime. In one process that runtime
// serves; with workers it is the primary's reference copy and its replicas serve.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { createRuntime, JaegisError, type Artifact, type InvokeEvent, type LogEntry, type Runtime, type RuntimeOptions } from '@jaegis/runtime'
import { admitHostFolders } from '@jaegis/compiler'
import { defaultErrorLogger, sendError, type ErrorLogger } from '@jaegis/gateway'
import { API_PREFIX, createAdmin } from './admin.js'
import { loadOrCreateToken } from './auth.js'
import { DashboardRecorder } from './dashboard/recorder.js'
import { createDashboard, DASHBOARD_PREFIX } from './dashboard/routes.js'
import { SimRunner } from './dashboard/sim.js'
import { Deployer } from './deployer.js'
import { LogHub } from './logs.js'
import { Metrics } from './metrics.js'
import { PoolDriver } from './scheduling.js'
import { FileStore } from './store/file-store.js'
import { surviveFailedStdioWrites } from './stdio.js'
import type { ServerOptions } from './server.js'
import type { Store } from './store/store.js'

export interface Control {
  runtime: Runtime
  store: Store
  token: string
  tokenCreated: boolean
  tokenPath?: string
  deployer: Deployer
  metrics: Metrics
  logs: LogHub
  driver: PoolDriver | undefined
  /** The dashboard's time series (started with the server). */
  recorder: DashboardRecorder
  onError: ErrorLogger
  /** Takes one invocation event (from this runtime or a worker's): metrics, autoscaler, error log. */
  observe(e: InvokeEvent): void
  /** Takes one function log line (from this runtime or a worker's). */
  log(e: LogEntry): void
  /** Function keys by name (for functions whose manifest requires one). */
  keys: Map<string, string>
  /** Re-reads what derives from deployments (keys, the autoscaler's functions), for one name or all; `onKeys` hears of it. */
  refreshKeys(only?: string): Promise<void>
  /** Serves everything that is not a function: admin API, /_dashboard, /metrics, /healthz, /readyz. */
  handle(req: IncomingMessage, res: ServerResponse): void
  setBaseUrl(url: string): void
  shuttingDown: boolean
}

/**
 * Opens the store and builds the control parts around a runtime made with `runtimeOptions`.
 * `onKeys` is told whenever the keys change (the workers need them).
 */
export async function createControl(options: ServerOptions, runtimeOptions: Pick<RuntimeOptions, 'lanes' | 'replicas'>, onKeys?: (keys: Map<string, string>) => void): Promise<Control> {
  surviveFailedStdioWrites()
  const dataDir = resolve(options.dataDir ?? '.jaegis')
  await mkdir(dataDir, { recursive: true })
  const store = options.store ?? (await FileStore.open(dataDir))
  const { token, created, path: tokenPath } = await loadOrCreateToken(dataDir, options.token ?? process.env.JAEGIS_TOKEN)
  const onError = options.onError ?? defaultErrorLogger

  let logs: LogHub | undefined
  let metrics: Metrics | undefined
  let driver: PoolDriver | undefined
  const versionOf = new Map<string, number>()
  const log = (e: LogEntry) => logs?.add(e.function, { timeMs: e.timeMs, level: e.level, message: e.message, version: versionOf.get(e.function) ?? 0 })
  const observe = (e: InvokeEvent) => {
    metrics?.observe(e)
    driver?.observe(e)
    if (e.errorCode) logs?.add(e.function, { timeMs: Date.now(), level: 'error', message: `invocation failed: ${e.errorCode}`, version: versionOf.get(e.function) ?? 0 })
  }
  const runtime = createRuntime({ ...runtimeOptions, ...(options.signatures ? { signatures: options.signatures } : {}), onLog: log, onInvoke: observe })
  logs = new LogHub(store)
  driver = options.autoscale === false ? undefined : new PoolDriver(runtime, options.autoscaler)
  metrics = new Metrics(runtime, { extra: (registry) => driver?.register(registry), droppedLogLines: () => logs!.droppedLines })
  const platformLog = (name: string, message: string, level = 'info') => logs!.add(name, { timeMs: Date.now(), level, message, version: 0 })
  // A stored version that maps host folders loads only while they are still allowed (jaegis serve --allow-files).
  const admitStored = (a: Artifact): Artifact => {
    const c = a.meta.component
    if (!c || c.files.length === 0) return a
    return { ...a, meta: { ...a.meta, component: { ...c, files: admitHostFolders(c.files, options.allowFiles ?? []) } } }
  }
  const deployer = new Deployer(runtime, store, platformLog, onError, admitStored)

  let baseUrl = ''
  const keys = new Map<string, string>()
  /** Re-reads what is derived from deployments (keys, versions, the autoscaler's functions): one name after a change, or all at start. */
  const refreshKeys = async (only?: string) => {
    const current = only === undefined ? await store.listDeployments() : [await store.getDeployment(only)].filter((d) => d !== undefined)
    const names = new Set<string>()
    for (const d of current) {
      names.add(d.name)
      driver?.track(d.name)
      versionOf.set(d.name, d.current)
      if (d.key) keys.set(d.name, d.key)
      else keys.delete(d.name)
    }
    for (const name of only === undefined ? [...new Set([...(driver?.autoscaler.functions() ?? []), ...keys.keys(), ...versionOf.keys()])] : [only]) {
      if (names.has(name)) continue
      driver?.forget(name)
      versionOf.delete(name)
      keys.delete(name)
    }
    onKeys?.(keys)
  }
  const admin = createAdmin({ runtime, store, deployer, logs, token, baseUrl: () => baseUrl, onError, afterChange: refreshKeys, maxUploadBytes: options.maxUploadBytes, allowedFolders: options.allowFiles ?? [], signatures: options.signatures ?? {}, uploadDir: join(dataDir, 'uploads'), ...(driver ? { scheduler: driver } : {}) })

  const recorder = new DashboardRecorder(metrics, runtime, driver, options.dashboard)
  recorder.start()
  const dashboard = createDashboard({ token, recorder, sim: new SimRunner(options.dashboard), simTrace: options.dashboard?.simTrace, workers: options.workers ?? 1, onError })

  const control: Control = {
    runtime,
    store,
    token,
    tokenCreated: created,
    ...(tokenPath ? { tokenPath } : {}),
    deployer,
    metrics,
    logs,
    driver,
    recorder,
    onError,
    observe,
    log,
    keys,
    refreshKeys,
    shuttingDown: false,
    setBaseUrl: (url) => (baseUrl = url),
    handle(req, res) {
      const url = req.url ?? '/'
      if (url.startsWith(API_PREFIX)) {
        admin(req, res)
        return
      }
      if (url === DASHBOARD_PREFIX || url.startsWith(DASHBOARD_PREFIX + '/') || url.startsWith(DASHBOARD_PREFIX + '?')) {
        dashboard(req, res)
        return
      }
      req.resume()
      if (url === '/healthz') return plain(res, 200, 'ok\n')
      if (url === '/readyz') return control.shuttingDown ? plain(res, 503, 'shutting down\n') : plain(res, 200, 'ready\n')
      if (url === '/metrics') {
        metrics!.text().then((text) => {
          res.writeHead(200, { 'content-type': metrics!.contentType })
          res.end(text)
        }, (err) => sendError(res, err, onError))
        return
      }
      sendError(res, new JaegisError('NOT_FOUND', `nothing at ${url.split('?')[0]}; functions are under /fn/<name>`), onError)
    },
  }
  return control
}

export function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}
