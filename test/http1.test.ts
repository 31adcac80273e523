// The connection-level fast path (gateway/http1.ts) on a real socket: what it serves itself,
// what it hands to node:http, and that both answer the same way.
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type Runtime } from '../runtime/index.js'
import { acceptFastConnections, createGateway, type FastConnections } from '../gateway/index.js'
import { buildFunction } from './helpers.js'
import { header, rawExchange, type ExchangeOptions } from './raw-http.js'

let runtime: Runtime
let server: Server
let fast: FastConnections
let port: number
const handedOff: string[] = []

beforeAll(async () => {
  const [hello, inspect, misbehave] = await Promise.all([
    buildFunction('hello'),
    buildFunction('inspect', (t) => t.replace(/\[limits\][^[]*/, '') + '\n[limits]\nbody_bytes = 100000\n'),
    buildFunction('misbehave'),
  ])
  const locked = await buildFunction('hello', (t) => t.replace('name = "hello"', 'name = "locked"') + '\n[auth]\nrequire_key = true\n')
  runtime = createRuntime()
  for (const b of [hello, inspect, misbehave, locked]) runtime.load(b.artifact)
  const gateway = createGateway(runtime, { checkKey: (name, key) => name === 'locked' && key === 'sesame', onError: () => {} })
  server = createServer({ keepAlive: true }, (req, res) => {
    handedOff.push(`${req.method} ${req.url}`)
    if (gateway(req, res)) return
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 10 })
    res.end('node:http\n')
  })
  server.keepAliveTimeout = 400
  server.headersTimeout = 600
  server.requestTimeout = 1000
  fast = acceptFastConnections(server, gateway)
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  port = (server.address() as AddressInfo).port
}, 120_000)

afterAll(async () => {
  if (!server) return
  fast.closeAll()
  server.closeAllConnections()
  await new Promise((ok) => server.close(ok))
  runtime.close()
})

const exchange = (parts: Array<string | Buffer>, options: ExchangeOptions = {}) => rawExchange(port, parts, options)

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: t\r\n${extra}\r\n`

describe('fast HTTP/1.1 path', () => {
  it('answers a function request itself with the framing headers node:http writes', async () => {
    handedOff.length = 0
    const { responses, closed } = await exchange([get('/fn/hello?name=fast', 'Connection: close\r\n')])
    expect(responses).toHaveLength(1)
    expect(responses[0]!.status).toBe(200)
    expect(responses[0]!.body).toBe('Hello, fast!\n')
    expect(responses[0]!.headers.map(([k]) => k)).toEqual(['content-type', 'content-length', 'date', 'connection'])
    expect(header(responses[0]!, 'connection')).toBe('close')
    expect(closed).toBe(true)
    expect(handedOff).toEqual([]) // node:http never saw it
  })

  it('writes the same bytes node:http writes for the same response', async () => {
    handedOff.length = 0
    // A chunked body makes the fast path hand the request to node:http; hello ignores bodies.
    const viaNode = await exchange([`GET /fn/hello HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`], { until: 1 })
    const viaFast = await exchange([get('/fn/hello')], { until: 1 })
    expect(handedOff).toEqual(['GET /fn/hello'])
    const strip = (s: string) => s.replace(/Date: [^\r]*\r\n/, '')
    expect(strip(viaFast.raw)).toBe(strip(viaNode.raw))
  })

  it('reads a request that arrives a byte at a time, body included', async () => {
    const body = JSON.stringify({ hello: 'world', n: [1, 2, 3] })
    const request = `POST /fn/inspect/a/b?p=q%20r HTTP/1.1\r\nHost: t\r\nX-A:   spaced value  \r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
    const { responses } = await exchange(request.split(''), { gapMs: 1 })
    expect(responses).toHaveLength(1)
    const seen = JSON.parse(responses[0]!.body)
    expect(seen).toMatchObject({ method: 'POST', path: '/a/b', query: 'p=q%20r', p: 'q r', xA: 'spaced value', bodyText: body })
    expect(seen.headerNames).toEqual(['host', 'x-a', 'content-length', 'connection'])
  })

  it('answers pipelined requests in order, handing the connection to node:http at the first request it does not serve', async () => {
    handedOff.length = 0
    const parts = [get('/fn/hello?name=1') + get('/fn/inspect', 'Content-Length: 3\r\n') + 'abc' + get('/healthz') + get('/fn/hello?name=4', 'Connection: close\r\n')]
    const { responses } = await exchange(parts)
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200])
    expect(responses[0]!.body).toBe('Hello, 1!\n')
    expect(JSON.parse(responses[1]!.body).bodyText).toBe('abc')
    expect(responses[2]!.body).toBe('node:http\n')
    expect(responses[3]!.body).toBe('Hello, 4!\n')
    // node:http took the connection from /healthz on, the later function request included
    expect(handedOff).toEqual(['GET /healthz', 'GET /fn/hello?name=4'])
    // The same requests one at a time, each in its own packet
    handedOff.length = 0
    const apart = await exchange([get('/fn/hello?name=1'), get('/healthz'), get('/fn/hello?name=3', 'Connection: close\r\n')], { gapMs: 50 })
    expect(apart.responses.map((r) => r.body)).toEqual(['Hello, 1!\n', 'node:http\n', 'Hello, 3!\n'])
    expect(handedOff).toEqual(['GET /healthz', 'GET /fn/hello?name=3'])
  })

  it('answers what a client sent before it half-closed, then closes', async () => {
    const { responses, closed } = await exchange([get('/fn/hello?name=a') + get('/fn/hello?name=b')], { end: true })
    expect(responses.map((r) => r.body)).toEqual(['Hello, a!\n', 'Hello, b!\n'])
    expect(closed).toBe(true)
  })

  it('serves a large body that arrives in many chunks, byte for byte', async () => {
    const body = Buffer.alloc(90_000)
    for (let i = 0; i < body.length; i++) body[i] = 0x61 + (i % 26)
    const head = `POST /fn/inspect HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
    const parts: Buffer[] = [Buffer.from(head)]
    for (let i = 0; i < body.length; i += 7_001) parts.push(body.subarray(i, i + 7_001))
    const { responses } = await exchange(parts, { gapMs: 2 })
    const seen = JSON.parse(responses[0]!.body)
    expect(seen.bodyLength).toBe(body.length)
    expect(seen.bodyText).toBe(body.toString('latin1'))
  })

  it('answers HEAD without a body and keeps the connection in step', async () => {
    const { responses } = await exchange([`HEAD /fn/hello HTTP/1.1\r\nHost: t\r\n\r\n` + get('/fn/hello?name=next', 'Connection: close\r\n')], { methods: ['HEAD', 'GET'] })
    expect(responses).toHaveLength(2)
    expect(header(responses[0]!, 'content-length')).toBe('14')
    expect(responses[0]!.body).toBe('')
    expect(responses[1]!.body).toBe('Hello, next!\n')
  })

  it('answers 204 and 304 without a body or a content-length', async () => {
    const { responses, raw } = await exchange([get('/fn/misbehave/status?204') + get('/fn/misbehave/status?304') + get('/fn/hello', 'Connection: close\r\n')])
    expect(responses.map((r) => r.status)).toEqual([204, 304, 200])
    expect(header(responses[0]!, 'content-length')).toBeUndefined()
    expect(header(responses[0]!, 'x-test')).toBe('yes')
    expect(raw.split('HTTP/1.1 ').length).toBe(4)
    expect(responses[2]!.body).toBe('Hello, world!\n')
  })

  it('refuses a response header that would split the response, and an informational status', async () => {
    const { responses } = await exchange([get('/fn/misbehave/header?name=x-a&value=1%0D%0ASet-Cookie:%20evil=1') + get('/fn/misbehave/header?name=bad%20name&value=1') + get('/fn/misbehave/status?101', 'Connection: close\r\n')])
    expect(responses.map((r) => r.status)).toEqual([500, 500, 500])
    for (const r of responses) expect(JSON.parse(r.body).error.code).toBe('BAD_RESPONSE')
    expect(JSON.parse(responses[0]!.body).error.message).toMatch(/value of header "x-a" has characters HTTP does not allow/)
    expect(JSON.parse(responses[1]!.body).error.message).toMatch(/"bad name" is not a valid header name/)
    expect(JSON.parse(responses[2]!.body).error.message).toMatch(/status 101 is informational/)
    expect(responses.some((r) => header(r, 'set-cookie') !== undefined)).toBe(false)
    // Characters up to U+00FF go out as Latin-1 bytes, as node:http writes them; beyond that is refused.
    const latin = await exchange([get('/fn/misbehave/header?name=x-fine&value=caf%C3%A9', 'Connection: close\r\n')])
    expect(latin.responses[0]!.status).toBe(200)
    expect(latin.raw).toContain('x-fine: caf\u00e9\r\n')
    const wide = await exchange([get('/fn/misbehave/header?name=x-wide&value=%E2%82%AC', 'Connection: close\r\n')])
    expect(JSON.parse(wide.responses[0]!.body).error.code).toBe('BAD_RESPONSE')
  })

  it('answers errors as JSON with stable codes: unknown function, missing key, body over the limit', async () => {
    const { responses, closed } = await exchange([get('/fn/nope') + get('/fn/locked') + get('/fn/locked', 'X-Jaegis-Key: sesame\r\n') + `POST /fn/inspect HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n`])
    expect(responses.map((r) => r.status)).toEqual([404, 401, 200, 413])
    expect(JSON.parse(responses[0]!.body).error.code).toBe('UNKNOWN_FUNCTION')
    expect(JSON.parse(responses[1]!.body).error.code).toBe('UNAUTHORIZED')
    expect(responses[2]!.body).toBe('Hello, world!\n')
    expect(JSON.parse(responses[3]!.body).error.code).toBe('BODY_TOO_LARGE')
    expect(header(responses[3]!, 'connection')).toBe('close')
    expect(closed).toBe(true)
  })

  it('hands malformed or unusual requests to node:http, which refuses them as it always has', async () => {
    const cases: Array<[string, number]> = [
      ['GET /fn/hello HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab', 400],
      ['GET /fn/hello HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['GET /fn/hello HTTP/1.1\r\nHost: t\r\nX-Bad: a\x01b\r\n\r\n', 400],
      ['GET /fn/hello HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n', 400],
      ['GET /fn/hello HTTP/1.1\r\n\r\n', 400],
      ['get /fn/hello HTTP/1.1\r\nHost: t\r\n\r\n', 400],
      ['GET /fn/hello HTTP/1.1\nHost: t\n\n', 400],
      ['GET /fn/hello HTTP/1.0\r\n\r\n', 200],
    ]
    for (const [request, status] of cases) {
      const { responses } = await exchange([request], { until: 1 })
      expect(responses[0]?.status, JSON.stringify(request)).toBe(status)
    }
    const huge = await exchange([`GET /fn/hello HTTP/1.1\r\nHost: t\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`], { until: 1 })
    expect(huge.responses[0]!.status).toBe(431)
  })

  it('lets Expect: 100-continue go through node:http', async () => {
    handedOff.length = 0
    const { raw, responses } = await exchange([`POST /fn/inspect HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`, 'hi'], { gapMs: 100 })
    expect(raw.startsWith('HTTP/1.1 100 Continue\r\n\r\n')).toBe(true)
    expect(handedOff).toEqual(['POST /fn/inspect'])
    expect(responses.at(-1)!.status).toBe(200)
  })

  it('closes an idle keep-alive connection after keepAliveTimeout, and answers 408 to a request that stops half-way', async () => {
    const t0 = Date.now()
    const idle = await exchange([get('/fn/hello')])
    expect(idle.responses).toHaveLength(1)
    expect(idle.closed).toBe(true)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(350)
    const half = await exchange(['GET /fn/hello HTTP/1.1\r\nHost: t\r\n'])
    expect(half.responses.map((r) => r.status)).toEqual([408])
    expect(JSON.parse(half.responses[0]!.body).error.code).toBe('REQUEST_TIMEOUT')
  })

  it('stops reading from a client that does not read its responses, and loses none', async () => {
    // 4 MB of requests asking for 16 MB of responses: more than the kernel's socket buffers hold.
    const n = 2000
    const request = get('/fn/inspect', `X-A: ${'v'.repeat(2000)}\r\nX-B: ${'w'.repeat(2000)}\r\n`)
    const { responses } = await exchange([request.repeat(n)], { until: n, readDelayMs: 300 })
    expect(responses).toHaveLength(n)
    expect(responses.every((r) => r.status === 200 && JSON.parse(r.body).xA === 'v'.repeat(2000))).toBe(true)
  })
})

describe('fast path shutdown', () => {
  it('closes idle connections at once and finishes a request whose body is still arriving', async () => {
    const srv = createServer((_req, res) => res.end('node'))
    const rt = createRuntime()
    rt.load((await buildFunction('inspect')).artifact)
    const gw = createGateway(rt, { onError: () => {} })
    const conns = acceptFastConnections(srv, gw)
    await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok))
    const p = (srv.address() as AddressInfo).port
    const open = (request: string) => {
      const s = connect(p, '127.0.0.1')
      let data = ''
      s.on('data', (d) => (data += d))
      const closed = new Promise<string>((ok) => s.on('close', () => ok(data)))
      s.write(request)
      return { s, closed }
    }
    const idle = open(get('/fn/inspect'))
    const busy = open(`POST /fn/inspect HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab`)
    await new Promise((r) => setTimeout(r, 100))
    expect(conns.size).toBe(2)
    const closed = new Promise((ok) => srv.close(ok))
    conns.closeIdle()
    busy.s.write('cd')
    const idleData = await idle.closed
    expect(idleData.startsWith('HTTP/1.1 200 OK')).toBe(true)
    const busyData = await busy.closed
    expect(busyData).toContain('Connection: close')
    expect(busyData).toContain('"bodyText":"abcd"')
    await closed
    expect(conns.size).toBe(0)
    rt.close()
  }, 60_000)
})
