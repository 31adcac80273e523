// Outbound HTTP for functions: the allow-list check (Spin's `allowed_outbound_hosts` semantics) and a
// synchronous fetch. Guests call out synchronously, so the request runs on a helper thread while the
// calling thread waits on an Atomics cell, bounded by the invocation's deadline.
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads'

/** One parsed allow-list entry, e.g. "https://api.example.com", "http://localhost:3000", "https://*.example.com:*". */
interface HostRule {
  scheme: string
  host: string
  port: string
}

const RULE_RE = /^(\*|[a-z][a-z0-9+.-]*):\/\/(\*|\*\.[^:/*]+|[^:/*]+)(?::(\*|\d{1,5}(?:\.\.\d{1,5})?))?\/?$/i

/** Validates an allow-list entry; returns an error message or undefined. Used by the manifest parser. */
export function checkOutboundRule(entry: string): string | undefined {
  return RULE_RE.test(entry) ? undefined : `"${entry}" is not an outbound host pattern like "https://api.example.com", "http://localhost:3000" or "https://*.example.com"`
}

function parseRule(entry: string): HostRule {
  const m = RULE_RE.exec(entry)
  if (!m) throw new Error(checkOutboundRule(entry))
  return { scheme: m[1]!.toLowerCase(), host: m[2]!.toLowerCase(), port: m[3] ?? '' }
}

const DEFAULT_PORTS: Record<string, string> = { http: '80', https: '443' }

/** True when `url` is allowed by one of the entries. Without a port, an entry means the scheme's default port. */
export function outboundAllowed(url: URL, allowed: readonly string[]): boolean {
  const scheme = url.protocol.replace(/:$/, '').toLowerCase()
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '')
  const port = url.port || DEFAULT_PORTS[scheme] || ''
  return allowed.some((entry) => {
    const r = parseRule(entry)
    if (r.scheme !== '*' && r.scheme !== scheme) return false
    if (r.host !== '*' && !(r.host.startsWith('*.') ? host.endsWith(r.host.slice(1)) : r.host === host)) return false
    if (r.port === '*') return true
    if (r.port.includes('..')) {
      const [lo, hi] = r.port.split('..').map(Number)
      return Number(port) >= lo! && Number(port) <= hi!
    }
    return (r.port || DEFAULT_PORTS[r.scheme] || '') === port
  })
}

export interface SyncFetchRequest {
  url: string
  method: string
  headers: Array<[string, string]>
  body?: Uint8Array
  timeoutMs: number
}

export type SyncFetchResult =
  | { ok: true; status: number; headers: Array<[string, string]>; body: Uint8Array }
  | { ok: false; code: 'timeout' | 'refused' | 'dns' | 'other'; message: string }

// The helper thread: plain JS (eval'd) so it runs the same from sources and from dist/.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads')
parentPort.on('message', async ({ req, port, cell }) => {
  let out
  try {
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual', signal: AbortSignal.timeout(req.timeoutMs) })
    out = { ok: true, status: res.status, headers: [...res.headers], body: new Uint8Array(await res.arrayBuffer()) }
  } catch (e) {
    const code = e && e.cause && e.cause.code
    const kind = e && (e.name === 'TimeoutError' || e.name === 'AbortError') ? 'timeout' : code === 'ECONNREFUSED' ? 'refused' : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'dns' : 'other'
    out = { ok: false, code: kind, message: String((e && e.cause && e.cause.message) || (e && e.message) || e) }
  }
  port.postMessage(out)
  port.close()
  Atomics.store(cell, 0, 1)
  Atomics.notify(cell, 0)
})
`

let worker: Worker | undefined

const FORBIDDEN_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade'])

/** Runs one HTTP request to completion on a helper thread and blocks this thread until it ends. */
export function fetchSync(req: SyncFetchRequest): SyncFetchResult {
  if (!worker) {
    worker = new Worker(WORKER_SOURCE, { eval: true })
    worker.unref()
    worker.on('error', () => (worker = undefined))
  }
  const { port1, port2 } = new MessageChannel()
  const cell = new Int32Array(new SharedArrayBuffer(4))
  const headers = req.headers.filter(([k]) => !FORBIDDEN_HEADERS.has(k.toLowerCase()))
  const body = req.body && req.body.length > 0 && req.method !== 'GET' && req.method !== 'HEAD' ? req.body : undefined
  worker.postMessage({ req: { ...req, headers, body }, port: port2, cell }, [port2])
  const waited = Atomics.wait(cell, 0, 0, req.timeoutMs + 50)
  const msg = receiveMessageOnPort(port1)
  port1.close()
  if (waited === 'timed-out' || !msg) return { ok: false, code: 'timeout', message: `no response within ${req.timeoutMs} ms` }
  return msg.message as SyncFetchResult
}
