// The admin API under /_api/v1: deploy, list, show, delete, rollback, pool, logs (JSON or SSE).
// Every route needs the bearer token; a wrong or missing one gets 401 and changes nothing.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { JaegisError, type FunctionStats, type Runtime, type SignaturePolicy } from '@jaegis/runtime'
import { ClientGoneError, readBody, sendError, type ErrorLogger } from '@jaegis/gateway'
import { bearer, secretEquals } from './auth.js'
import type { Deployer } from './deployer.js'
import type { LogHub } from './logs.js'
import { DEFAULT_MAX_UPLOAD_BYTES, prepareUploadDir, readUpload } from './upload.js'
import type { AllowedFolder } from '@jaegis/compiler'
import type { Deployment, Store } from './store/store.js'

export interface AdminOptions {
  runtime: Runtime
  store: Store
  deployer: Deployer
  logs: LogHub
  token: string
  /** Public base URL, for the URLs the API returns. */
  baseUrl: () => string
  /** Largest artifact upload, in bytes (`jaegis serve --max-upload`). @default 64 MiB */
  maxUploadBytes?: number
  /** Which signatures uploads must carry; checked before anything is derived or stored. @default {} */
  signatures?: SignaturePolicy
  /** Folder where uploads are spooled while they arrive. @default <os tmpdir>/jaegis-uploads */
  uploadDir?: string
  /** Host folders uploaded functions may map (`jaegis serve --allow-files`). @default [] (none) */
  allowedFolders?: readonly AllowedFolder[]
  onError: ErrorLogger
  /** Runs after a deploy, rollback or delete of `name`, before the response: the server refreshes what it derives from that deployment (key, autoscaler). */
  afterChange?: (name: string) => Promise<void>
  /** The autoscaler's driver: its decision is merged into `show` and `list`, and served by `explain`; `policy` names the scaling policy it runs. */
  scheduler?: { readonly policy: string; describe(name: string): Record<string, unknown> | undefined; explain(name: string): unknown }
}

export const API_PREFIX = '/_api/v1/'

/** Functions summarized by `list` between two yields to the event loop. */
const LIST_SLICE = 250

type Handler = (req: IncomingMessage, res: ServerResponse, params: string[], url: URL) => Promise<void>

export function createAdmin(o: AdminOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const maxUpload = o.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES
  const uploadDir = prepareUploadDir(o.uploadDir ?? join(tmpdir(), 'jaegis-uploads'))
  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body, null, 2) + '\n'
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    res.end(text)
  }
  /** `stats` is one snapshot of runtime.stats().functions, taken once per request (it copies every function's counters). */
  const summary = (d: Deployment, stats: FunctionStats | undefined) => {
    const config = o.runtime.config(d.name)
    const current = d.versions.find((v) => v.version === d.current)
    return {
      name: d.name,
      status: o.deployer.status(d.name),
      url: `${o.baseUrl()}/fn/${d.name}`,
      ...(config?.route ? { route: config.route, routeUrl: `${o.baseUrl()}${config.route}` } : {}),
      version: d.current,
      digest: current?.digest,
      deployedAt: current?.deployedAt,
      ...(config
        ? {
            limits: { memory_mib: config.limits.memoryBytes / 1048576, timeout_ms: config.limits.timeoutMs, body_bytes: config.limits.bodyBytes },
            requireKey: config.requireKey,
            reuse: config.reuse,
          }
        : {}),
      pool: stats ? { min_warm: stats.pool.minWarm, max_warm: stats.pool.maxWarm, ready: stats.pool.ready + stats.pool.dirty } : undefined,
      ...(o.scheduler?.describe(d.name) ?? {}),
    }
  }
  const need = async (name: string) => {
    const d = await o.store.getDeployment(name)
    if (!d) throw new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`)
    return d
  }

  const routes: Array<[string, RegExp, Handler]> = [
    [
      'GET',
      /^functions$/,
      async (_req, res) => {
        const deployments = await o.store.listDeployments()
        const stats = o.runtime.stats().functions
        const functions: unknown[] = []
        for (let i = 0; i < deployments.length; i++) {
          if (i > 0 && i % LIST_SLICE === 0) await new Promise((resolve) => setImmediate(resolve)) // let requests in between slices
          functions.push(summary(deployments[i]!, stats[deployments[i]!.name]))
        }
        json(res, 200, { functions })
      },
    ],
    [
      'POST',
      /^functions$/,
      async (req, res) => {
        const artifact = await readUpload(req, { maxBytes: maxUpload, dir: uploadDir, allowedFolders: o.allowedFolders ?? [], signatures: o.signatures ?? {} })
        const r = await o.deployer.deploy(artifact)
        await o.afterChange?.(r.name)
        json(res, r.changed ? 201 : 200, { ...r, url: `${o.baseUrl()}/fn/${r.name}` })
      },
    ],
    [
      'GET',
      /^functions\/([^/]+)$/,
      async (_req, res, [name]) => {
        const d = await need(name!)
        const stats = o.runtime.stats().functions[name!]
        json(res, 200, { ...summary(d, stats), versions: d.versions, ...(d.key ? { key: d.key } : {}), stats: stats ? { invocations: stats.invocations, errors: stats.errors, starts: stats.starts } : undefined })
      },
    ],
    [
      'DELETE',
      /^functions\/([^/]+)$/,
      async (_req, res, [name]) => {
        if (!(await o.deployer.remove(name!))) throw new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`)
        o.logs.drop(name!)
        await o.afterChange?.(name!)
        json(res, 200, { name, deleted: true })
      },
    ],
    [
      'POST',
      /^functions\/([^/]+)\/rollback$/,
      async (req, res, [name]) => {
        const body = await readJson(req)
        const version = body.version
        if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version))) throw new JaegisError('BAD_REQUEST', '"version" must be an integer')
        const r = await o.deployer.rollback(name!, version as number | undefined)
        await o.afterChange?.(name!)
        json(res, 200, r)
      },
    ],
    [
      'PUT',
      /^functions\/([^/]+)\/pool$/,
      async (req, res, [name]) => {
        await need(name!)
        const body = await readJson(req)
        const int = (k: string) => {
          const v = body[k]
          if (v === undefined) return undefined
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 10_000) throw new JaegisError('BAD_REQUEST', `"${k}" must be an integer from 0 to 10000`)
          return v
        }
        o.runtime.setPool(name!, { minWarm: int('min_warm'), maxWarm: int('max_warm') })
        json(res, 200, summary(await need(name!), o.runtime.stats().functions[name!]))
      },
    ],
    [
      'GET',
      /^functions\/([^/]+)\/explain$/,
      async (_req, res, [name]) => {
        await need(name!)
        const config = o.runtime.config(name!)
        const decision = o.scheduler?.explain(name!)
        json(res, 200, {
          name,
          autoscaler: o.scheduler?.policy ?? 'off',
          bounds: config ? { min_warm: config.pool.minWarm, max_warm: config.pool.maxWarm } : undefined,
          decision: decision ?? null,
          ...(decision ? {} : { note: o.scheduler ? 'no decision yet: the autoscaler decides every few seconds once the function has been deployed' : 'the autoscaler is off; pools follow the manifest' }),
        })
      },
    ],
    [
      'GET',
      /^functions\/([^/]+)\/logs$/,
      async (req, res, [name], url) => {
        await need(name!)
        const limit = Math.min(10_000, Math.max(1, Number(url.searchParams.get('limit') ?? 100) || 100))
        const recent = await o.logs.recent(name!, limit)
        const follow = url.searchParams.get('follow') === '1' || url.searchParams.get('follow') === 'true' || (req.headers.accept ?? '').includes('text/event-stream')
        if (!follow) return json(res, 200, { name, logs: recent })
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
        for (const r of recent) res.write(`data: ${JSON.stringify(r)}\n\n`)
        const stop = o.logs.follow(name!, (r) => res.write(`data: ${JSON.stringify(r)}\n\n`))
        const ping = setInterval(() => res.write(': keep-alive\n\n'), 15_000)
        req.on('close', () => {
          stop()
          clearInterval(ping)
        })
      },
    ],
  ]

  const dispatch = (req: IncomingMessage, res: ServerResponse): Promise<void> | void => {
    const url = new URL(req.url ?? '/', 'http://local')
    const presented = bearer(req.headers.authorization)
    if (!presented || !secretEquals(presented, o.token)) {
      req.resume()
      throw new JaegisError('UNAUTHORIZED', 'the admin API needs "Authorization: Bearer <token>" with the server\'s token (see <data dir>/token or JAEGIS_TOKEN)')
    }
    const path = url.pathname.slice(API_PREFIX.length)
    for (const [method, re, handler] of routes) {
      const m = re.exec(path)
      if (!m) continue
      if (req.method !== method) continue
      return handler(req, res, m.slice(1).map(decodeParam), url)
    }
    req.resume()
    const known = routes.some(([, re]) => re.test(path))
    throw new JaegisError('NOT_FOUND', known ? `method ${req.method} is not allowed on ${url.pathname}` : `no admin route ${req.method} ${url.pathname}`)
  }

  // No request may end the process: whatever a handler throws, synchronously or not, becomes a response.
  return (req, res) => {
    const fail = (err: unknown) => {
      if (err instanceof ClientGoneError) return void res.destroy() // nobody to answer; a client event, not an error
      req.resume()
      sendError(res, err, o.onError)
    }
    try {
      dispatch(req, res)?.catch(fail)
    } catch (err) {
      fail(err)
    }
  }
}

/** A path segment, percent-decoded; malformed encoding (`%E0%A4%A`) is the client's mistake. */
function decodeParam(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new JaegisError('BAD_REQUEST', `malformed percent-encoding in ${JSON.stringify(segment)}`)
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readBody(req, 1024 * 1024)
  if (body.length === 0) return {}
  try {
    const v = JSON.parse(Buffer.from(body).toString('utf8'))
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object')
    return v
  } catch (err) {
    throw new JaegisError('BAD_REQUEST', `request body must be a JSON object (${(err as Error).message})`)
  }
}
