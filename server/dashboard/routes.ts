// /_dashboard: the static page (HTML, ES modules, CSS, and uPlot from node_modules) without auth, and
// its data under /_dashboard/api/ only with the admin token: JSON, and Server-Sent Events opened with
// a short-lived single-use ticket (EventSource cannot send an Authorization header).
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { JaegisError } from '@jaegis/runtime'
import { readBody, sendError, type ErrorLogger } from '@jaegis/gateway'
import { bearer, secretEquals } from '../auth.js'
import type { DashboardRecorder } from './recorder.js'
import type { SimRunner } from './sim.js'

export const DASHBOARD_PREFIX = '/_dashboard'

/** How long a stream ticket may wait to be used (ms). */
const TICKET_TTL_MS = 30_000

const here = dirname(fileURLToPath(import.meta.url))
/** The page's files live in the package's sources (dashboard/static), also when running from dist/dashboard/. */
const STATIC_DIR = [join(here, 'static'), join(here, '..', '..', 'dashboard', 'static')].find((d) => existsSync(join(d, 'index.html'))) ?? join(here, 'static')
const UPLOT_DIR = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist')

/** Path under /_dashboard/ -> file. Nothing else is read from disk. */
const FILES: Record<string, { path: string; type: string }> = {
  '': { path: join(STATIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  'app.js': { path: join(STATIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'charts.js': { path: join(STATIC_DIR, 'charts.js'), type: 'text/javascript; charset=utf-8' },
  'style.css': { path: join(STATIC_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  'vendor/uPlot.esm.js': { path: join(UPLOT_DIR, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' },
  'vendor/uPlot.min.css': { path: join(UPLOT_DIR, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
}

export interface DashboardOptions {
  token: string
  recorder: DashboardRecorder
  sim: SimRunner
  /** A trace file the page offers as the shared trace (`--sim-trace`). */
  simTrace?: string
  /** Gateway processes of this host. */
  workers: number
  onError: ErrorLogger
}

/** The handler of everything under /_dashboard. */
export function createDashboard(o: DashboardOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const tickets = new Map<string, number>()
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body)
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
    res.end(text)
  }
  const authorized = (req: IncomingMessage) => {
    const presented = bearer(req.headers.authorization)
    return presented !== undefined && secretEquals(presented, o.token)
  }
  const overview = () => ({
    host: { mode: 'single host', workers: o.workers },
    sampleMs: o.recorder.sampleMs,
    forecastBucketMs: o.recorder.forecastBucketMs,
    sharedTrace: o.simTrace ? basename(o.simTrace) : null,
    functions: o.recorder.view(),
  })

  const stream = (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const ticket = url.searchParams.get('ticket') ?? ''
    const expires = tickets.get(ticket)
    tickets.delete(ticket)
    if (expires === undefined || expires < Date.now()) throw new JaegisError('UNAUTHORIZED', 'the event stream needs a fresh ticket from POST /_dashboard/api/ticket')
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' })
    res.write(`retry: 2000\n\n`)
    const off = o.recorder.onSample((tMs, latest) => res.write(`event: sample\ndata: ${JSON.stringify({ tMs, functions: latest })}\n\n`))
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
    keepAlive.unref()
    req.socket.setTimeout(0)
    const offStop = o.recorder.onStop(() => res.end())
    res.on('close', () => {
      off()
      offStop()
      clearInterval(keepAlive)
    })
  }

  const api = async (req: IncomingMessage, res: ServerResponse, url: URL, path: string) => {
    if (path === 'events' && req.method === 'GET') return stream(req, res, url)
    if (!authorized(req)) {
      req.resume()
      throw new JaegisError('UNAUTHORIZED', 'the dashboard\'s data needs "Authorization: Bearer <token>" with the server\'s admin token')
    }
    if (path === 'ticket' && req.method === 'POST') {
      req.resume()
      const now = Date.now()
      for (const [t, exp] of tickets) if (exp < now) tickets.delete(t)
      const ticket = randomBytes(18).toString('base64url')
      tickets.set(ticket, now + TICKET_TTL_MS)
      return json(res, 200, { ticket, expiresInMs: TICKET_TTL_MS })
    }
    if (path === 'overview' && req.method === 'GET') {
      req.resume()
      return json(res, 200, overview())
    }
    if (path === 'sim' && req.method === 'POST') {
      const text = new TextDecoder().decode(await readBody(req, o.sim.maxTraceBytes))
      return json(res, 200, await o.sim.run(text, url.searchParams.get('name') ?? 'uploaded trace'))
    }
    if (path === 'sim/shared' && req.method === 'POST') {
      req.resume()
      if (!o.simTrace) throw new JaegisError('NOT_FOUND', 'no shared trace configured (jaegis serve --sim-trace <csv>); upload one instead')
      const text = await readFile(o.simTrace, 'utf8').catch((err: Error) => {
        throw new JaegisError('NOT_FOUND', `cannot read the shared trace: ${err.message}`, { cause: err })
      })
      return json(res, 200, await o.sim.run(text, basename(o.simTrace)))
    }
    req.resume()
    throw new JaegisError('NOT_FOUND', `nothing at ${url.pathname}`)
  }

  const serveFile = async (res: ServerResponse, file: { path: string; type: string }) => {
    const body = await readFile(file.path)
    res.writeHead(200, { 'content-type': file.type, 'content-length': body.length, 'cache-control': 'no-cache' })
    res.end(body)
  }

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local')
    const rest = url.pathname === DASHBOARD_PREFIX ? '' : url.pathname.slice(DASHBOARD_PREFIX.length + 1)
    const run = async () => {
      if (rest.startsWith('api/')) return api(req, res, url, rest.slice(4))
      req.resume()
      const file = FILES[rest]
      if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) throw new JaegisError('NOT_FOUND', `nothing at ${url.pathname}`)
      return serveFile(res, file)
    }
    run().catch((err) => (res.headersSent ? res.destroy() : sendError(res, err, o.onError)))
  }
}
