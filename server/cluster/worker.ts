// A worker process of `jaegis serve --workers N`: a gateway (fast path + node:http) and a runtime
// with lanes on the shared port. Functions arrive from the primary; the admin API and /metrics are
// forwarded to the primary's control socket; /healthz and /readyz are answered here.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRuntime, JaegisError, type LogEntry } from '@jaegis/runtime'
import { acceptFastConnections, applyHttpTimeouts, createGateway, defaultErrorLogger, FRAMING_HEADERS, sendError } from '@jaegis/gateway'
import { plain } from '../control.js'
import { surviveFailedStdioWrites } from '../stdio.js'
import { EventBatcher } from './event-batch.js'
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.js'

/** Events and log lines are sent to the primary in batches this often (ms). */
const BATCH_EVERY_MS = 50
/** Stats (pools) are sent this often (ms). */
const STATS_EVERY_MS = 500
/** Hop-by-hop headers a forwarded response does not copy (this connection has its own). */
const HOP_BY_HOP = new Set([...FRAMING_HEADERS, 'trailer', 'proxy-connection'])

surviveFailedStdioWrites()
const config = JSON.parse(process.env.JAEGIS_WORKER_CONFIG ?? '{}') as WorkerConfig
const send = (m: FromWorker) => {
  if (process.connected) process.send!(m)
}
const events = new EventBatcher()
let logs: LogEntry[] = []
let rejects: Array<[string, string]> = []
const flush = () => {
  if (events.size === 0 && logs.length === 0 && rejects.length === 0) return
  send({ t: 'batch', events: events.take(), logs, rejects })
  logs = []
  rejects = []
}
const batchTimer = setInterval(flush, BATCH_EVERY_MS)
// The primary's runtime checked every artifact's signature before activating it here.
const runtime = createRuntime({ signatures: false, lanes: true, onLog: (e) => logs.push(e), onInvoke: (e) => events.add(e) })
const statsTimer = setInterval(() => send({ t: 'stats', functions: runtime.stats().functions }), STATS_EVERY_MS)
const keys = new Map<string, string>()
const onError = defaultErrorLogger
const gateway = createGateway(runtime, { ...(config.maxInflight ? { maxInflight: config.maxInflight } : {}), onError, checkKey: (name, key) => keys.get(name) === key, onReject: (name, code) => rejects.push([name, code]) })
let shuttingDown = false

const server = createServer({ keepAlive: true }, (req, res) => {
  if (gateway(req, res)) return
  const url = req.url ?? '/'
  if (url === '/healthz') return plain(res, 200, 'ok\n')
  if (url === '/readyz') return shuttingDown ? plain(res, 503, 'shutting down\n') : plain(res, 200, 'ready\n')
  forward(req, res)
})
applyHttpTimeouts(server, config.timeouts)
const fast = acceptFastConnections(server, gateway)

/** Passes a request to the primary's control server and streams its answer back (SSE included). */
function forward(req: IncomingMessage, res: ServerResponse): void {
  const upstream = request({ socketPath: config.controlSocket, method: req.method, path: req.url, headers: req.headers }, (up) => {
    const headers: string[] = []
    for (let i = 0; i + 1 < up.rawHeaders.length; i += 2) if (!HOP_BY_HOP.has(up.rawHeaders[i]!.toLowerCase())) headers.push(up.rawHeaders[i]!, up.rawHeaders[i + 1]!)
    res.writeHead(up.statusCode ?? 502, headers)
    up.pipe(res)
  })
  upstream.on('error', (err) => {
    if (!res.headersSent) sendError(res, new JaegisError('INTERNAL', `the control process did not answer: ${err.message}`, { cause: err, expose: false }), onError)
    else res.destroy()
  })
  res.on('close', () => upstream.destroy())
  req.pipe(upstream)
}

async function close(graceMs: number): Promise<void> {
  if (shuttingDown) return
  shuttingDown = true
  // The same path as one process: every request received is answered, idle connections close.
  await fast.drain(graceMs)
  clearInterval(batchTimer)
  clearInterval(statsTimer)
  flush()
  runtime.close()
  process.disconnect?.()
  process.exit(0)
}

/** Changes from the primary, applied one after another. */
let changes = Promise.resolve()

process.on('message', (m: ToWorker) => {
  switch (m.t) {
    case 'activate':
    case 'unload':
    case 'pool':
    case 'keys': {
      // Applied in the order sent; an activation meters and compiles off this thread (prepareAsync),
      // so the requests this worker serves meanwhile are not held up.
      changes = changes.then(async () => {
        let error: string | undefined
        try {
          if (m.t === 'activate') runtime.activate(await runtime.prepareAsync(m.artifact))
          else if (m.t === 'unload') runtime.unload(m.name)
          else if (m.t === 'pool') {
            if (runtime.has(m.name)) runtime.setPool(m.name, m)
          } else {
            keys.clear()
            for (const [name, key] of m.keys) keys.set(name, key)
          }
        } catch (err) {
          error = (err as Error).message
        }
        send({ t: 'ack', seq: m.seq, ...(error ? { error } : {}) })
      })
      return
    }
    case 'listen':
      server.once('error', (err) => {
        send({ t: 'listen-failed', error: err.message })
        process.exit(1)
      })
      server.listen(config.port, config.host, () => send({ t: 'listening', port: (server.address() as { port: number }).port }))
      return
    case 'close':
      void close(m.graceMs)
      return
  }
})
// The primary decides when workers stop (Ctrl-C reaches the whole process group); a primary that
// went away without saying so ends its workers gracefully.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => {})
process.on('disconnect', () => void close(10_000))
send({ t: 'hello' })
