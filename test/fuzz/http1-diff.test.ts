// Differential fuzzing of the fast path (gateway/http1.ts) against node:http alone: the same bytes,
// generated and mutated, split at random points into TCP writes, go to a server with the fast path and
// to one without. Both must answer alike (the same bytes but the Date; as far as both got where node:http
// refused a request, see below), and what an accepted request delivers to the function (method, path,
// query, headers, body) must be identical.
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type Runtime } from '../../runtime/index.js'
import { acceptFastConnections, createGateway, type FastConnections } from '../../gateway/index.js'
import { buildFunction } from '../helpers.js'
import { FUZZ_RUNS } from '../fuzz-runs.js'

/** What the function was handed, as comparable text. */
type Seen = string

let runtime: Runtime
let fast: FastConnections
const servers: Array<{ server: Server; port: number; seen: Seen[]; refused: number }> = []

/** The real runtime, with every dispatch recorded on the way through. */
function recording(real: Runtime, seen: Seen[]): Runtime {
  return new Proxy(real, {
    get(target, prop) {
      if (prop === 'dispatch') {
        return (name: string, req: { method: string; path: string; query: string; rawHeaders?: readonly string[]; body: Uint8Array }) => {
          seen.push(JSON.stringify([name, req.method, req.path, req.query, req.rawHeaders, Buffer.from(req.body).toString('hex')]))
          return target.dispatch(name, req as never)
        }
      }
      const v = Reflect.get(target, prop) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

async function serve(withFastPath: boolean): Promise<void> {
  const seen: Seen[] = []
  const gateway = createGateway(recording(runtime, seen), { onError: () => {} })
  const server = createServer({ keepAlive: true }, (req, res) => {
    if (gateway(req, res)) return
    req.resume()
    res.writeHead(404, { 'content-type': 'text/plain', 'content-length': 5 })
    res.end('none\n')
  })
  server.keepAliveTimeout = 30_000
  // node:http's own answer to a request it cannot parse, written once the answers already under way
  // are. Its default destroys the connection at once, so whether answers to the good requests before
  // a bad one are lost depends on how the bytes were split into reads (a read holding both loses
  // them): the fast path changes those splits (it hands node:http what it read so far in one piece),
  // so without this the comparison would measure node:http's timing, not the two parsers.
  const entry = { server, port: 0, seen, refused: 0 }
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    entry.refused++
    setImmediate(() => {
      if (socket.writable) socket.write(err.code === 'HPE_HEADER_OVERFLOW' ? 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      socket.destroy()
    })
  })
  // The same for CONNECT and Upgrade requests, which node:http hands to these events (by default it
  // destroys the connection at once).
  for (const event of ['connect', 'upgrade'] as const) {
    server.on(event, (_req, socket: import('node:stream').Duplex) => {
      entry.refused++
      setImmediate(() => socket.destroy())
    })
  }
  if (withFastPath) fast = acceptFastConnections(server, gateway)
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  entry.port = (server.address() as AddressInfo).port
  servers.push(entry)
}

beforeAll(async () => {
  const inspect = await buildFunction('inspect', (t) => t.replace(/\[limits\][^[]*/, '') + '\n[limits]\nbody_bytes = 64\n')
  runtime = createRuntime()
  runtime.load(inspect.artifact)
  await serve(true)
  await serve(false)
}, 120_000)

afterAll(async () => {
  fast?.closeAll()
  for (const { server } of servers) {
    server.closeAllConnections()
    await new Promise((ok) => server.close(ok))
  }
  runtime?.close()
})

/** Writes `parts` one by one (a pause between, so that they arrive as separate segments), half-closes, reads until closed. */
function exchange(port: number, parts: Buffer[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.setNoDelay(true)
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)))
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')))
    socket.on('connect', async () => {
      for (const p of parts) {
        if (socket.destroyed) break
        socket.write(p)
        await new Promise((r) => setTimeout(r, 1))
      }
      if (!socket.destroyed) socket.end()
    })
  })
}

const withoutDates = (raw: string) => raw.replace(/\r\nDate: [^\r]*/gi, '')

// Requests: mostly well-formed, built from parts where the two parsers could disagree.
const methods = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'HEAD', 'DELETE', 'PATCH', 'OPTIONS', 'get', 'CONNECT', 'TRACE', 'FOO', 'M-SEARCH', '')
const pathChar = fc.constantFrom('a', 'b', '/', '%20', '%2F', '%', '%zz', '?', '&', '=', '#', '.', '..', ';', '~', '+', ' ', '\t', 'é', '\x7f', '*', ':', '@')
const target = fc.oneof(
  { weight: 6, arbitrary: fc.array(pathChar, { maxLength: 8 }).map((cs) => '/fn/inspect' + cs.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('/fn/nope', '/fn/', '/fn', '/healthz', '*', 'http://x/fn/inspect', '/fn/inspect/../x', '//fn/inspect', '') },
)
const version = fc.oneof({ weight: 10, arbitrary: fc.constant('HTTP/1.1') }, { weight: 1, arbitrary: fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'http/1.1', 'HTTP/1.1 ', 'HTTP/1.10', 'HTTP/1') })
const headerName = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('Host', 'host', 'HOST', 'Content-Length', 'content-length', 'Transfer-Encoding', 'Connection', 'connection', 'Expect', 'Upgrade', 'X-A', 'x-b', 'Keep-Alive', 'TE', 'X-Jaegis-Key') },
  { weight: 1, arbitrary: fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,8}$/) },
  { weight: 1, arbitrary: fc.constantFrom('', ' Host', 'Host ', 'X A', 'X:A', 'X\x00', 'é') },
)
const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('x', '', ' x ', '\tx\t', 'close', 'keep-alive', 'Close', 'close, upgrade', 'keep-alive, close', 'chunked', 'gzip, chunked', '100-continue', '0', '5', '05', ' 5', '5 ', '5\t', '+5', '-1', '5, 5', '1e1', '99999999999999999', 'h2c') },
  { weight: 2, arbitrary: fc.string({ maxLength: 8 }).map((s) => s.replace(/[\r\n]/g, '')) },
  { weight: 1, arbitrary: fc.stringMatching(/^[\x00-\xff]{0,6}$/) },
)
const header = fc.tuple(headerName, headerValue)
const lineEnd = fc.oneof({ weight: 20, arbitrary: fc.constant('\r\n') }, { weight: 1, arbitrary: fc.constantFrom('\n', '\r', '\r\r\n', ' \r\n') })

/** One request; its body matches its Content-Length unless `lie`. */
const request = fc.record({
  method: methods,
  target,
  version,
  host: fc.constantFrom(0, 1, 1, 1, 1, 2),
  headers: fc.array(header, { maxLength: 5 }),
  body: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 2, arbitrary: fc.string({ maxLength: 80 }) }),
  declare: fc.constantFrom('length', 'length', 'none', 'lie'),
  eol: lineEnd,
}).map((r) => {
  const lines = [`${r.method} ${r.target} ${r.version}`]
  for (let i = 0; i < r.host; i++) lines.push('Host: x')
  for (const [k, v] of r.headers) lines.push(`${k}: ${v}`)
  const body = Buffer.from(r.body, 'utf8')
  if (r.declare === 'length' && body.length > 0) lines.push(`Content-Length: ${body.length}`)
  if (r.declare === 'lie') lines.push(`Content-Length: ${body.length + 3}`)
  return Buffer.concat([Buffer.from(lines.join(r.eol) + r.eol + r.eol, 'latin1'), body])
})

/** Byte edits that tend to matter to a parser. */
const mutation = fc.record({ at: fc.nat(), op: fc.constantFrom('replace', 'insert', 'delete'), byte: fc.constantFrom(0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x00, 0x7f, 0xff, 0x30, 0x61, 0x2c, 0x2f) })
function mutate(bytes: Buffer, edits: Array<{ at: number; op: string; byte: number }>): Buffer {
  let out = bytes
  for (const e of edits) {
    if (out.length === 0) break
    const at = e.at % out.length
    if (e.op === 'replace') (out = Buffer.from(out))[at] = e.byte
    else if (e.op === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from([e.byte]), out.subarray(at)])
    else out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1)])
  }
  return out
}

/** `bytes` cut at `cuts` (positions modulo its length) into consecutive writes. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].filter((p) => p > 0).sort((a, b) => a - b)
  const parts: Buffer[] = []
  let from = 0
  for (const p of points) {
    parts.push(bytes.subarray(from, p))
    from = p
  }
  parts.push(bytes.subarray(from))
  return parts
}

const exchangeCase = fc.record({
  requests: fc.array(request, { minLength: 1, maxLength: 3 }),
  edits: fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }),
  cuts: fc.array(fc.nat(), { maxLength: 4 }),
})

describe('fast path against node:http', () => {
  it('answers alike and hands functions the same requests, however the bytes are generated, mutated and split', async () => {
    await fc.assert(
      fc.asyncProperty(exchangeCase, async ({ requests, edits, cuts }) => {
        const bytes = mutate(Buffer.concat(requests), edits)
        const parts = split(bytes, cuts)
        for (const s of servers) {
          s.seen.length = 0
          s.refused = 0
        }
        const [viaFast, viaNode] = await Promise.all(servers.map((s) => exchange(s.port, parts)))
        // The same requests reach the function (node:http may run a pipelined request without a body
        // before the one ahead of it whose body ends in the next tick: the answers' order is checked below).
        expect(JSON.stringify([...servers[0]!.seen].sort()), JSON.stringify(bytes.toString('latin1'))).toBe(JSON.stringify([...servers[1]!.seen].sort()))
        const [a, b] = [withoutDates(viaFast!), withoutDates(viaNode!)]
        if (servers[0]!.refused + servers[1]!.refused === 0) {
          expect(a, JSON.stringify(bytes.toString('latin1'))).toBe(b)
        } else {
          // node:http refused a request (a parse error, CONNECT or Upgrade; possibly bytes after a
          // `Connection: close` that the fast path, having closed, never reads). Which answers it still writes
          // around the refusal (those ahead of it, and its own 400) depends on how the bytes were split
          // into reads and on when it saw the end of the stream; the fast path changes those splits. So
          // here the answers must agree as far as both got, and the requests handed to the function
          // (above) must be the same.
          expect(a.startsWith(b) || b.startsWith(a), `${JSON.stringify(bytes.toString('latin1'))}\n${JSON.stringify(a)}\n${JSON.stringify(b)}`).toBe(true)
        }
      }),
      { numRuns: FUZZ_RUNS(150) },
    )
  }, Math.max(120_000, FUZZ_RUNS(150) * 200))
})
