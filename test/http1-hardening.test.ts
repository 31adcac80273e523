// What hostile clients and functions tried on the gateway (issue 12), on both ways of reading requests:
// the fast path (gateway/http1.ts) and node:http alone. Each case is asked of both servers.
import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type Runtime } from '../runtime/index.js'
import { acceptFastConnections, createGateway, type FastConnections } from '../gateway/index.js'
import { buildFunction } from './helpers.js'
import { header, rawExchange, ResponseReader, type Parsed } from './raw-http.js'

let runtime: Runtime
let fast: FastConnections
const servers: Record<'fast' | 'node', { server: Server; port: number; errors: unknown[] }> = {} as never
const PATHS = ['fast', 'node'] as const

async function serve(kind: 'fast' | 'node'): Promise<void> {
  const errors: unknown[] = []
  // A low in-flight limit, so that slow clients would exhaust it if they counted.
  const gateway = createGateway(runtime, { maxInflight: 64, onError: (_ref, err) => errors.push(err) })
  // Small total deadlines so that slow clients are cut within the test; node:http checks them this often.
  const server = createServer({ keepAlive: true, connectionsCheckingInterval: 100 }, (req, res) => {
    if (gateway(req, res)) return
    req.resume()
    res.end('not a function\n')
  })
  server.keepAliveTimeout = 2_000
  server.headersTimeout = 800
  server.requestTimeout = 1_500
  if (kind === 'fast') fast = acceptFastConnections(server, gateway)
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  servers[kind] = { server, port: (server.address() as AddressInfo).port, errors }
}

beforeAll(async () => {
  const [hello, inspect, misbehave] = await Promise.all([
    buildFunction('hello'),
    buildFunction('inspect', (t) => t.replace(/\[limits\][^[]*/, '') + '\n[limits]\nbody_bytes = 100000\n'),
    buildFunction('misbehave'),
  ])
  runtime = createRuntime()
  for (const b of [hello, inspect, misbehave]) runtime.load(b.artifact)
  await serve('fast')
  await serve('node')
}, 120_000)

afterAll(async () => {
  fast?.closeAll()
  for (const { server } of Object.values(servers)) {
    server.closeAllConnections()
    await new Promise((ok) => server.close(ok))
  }
  runtime?.close()
})

const exchange = (kind: 'fast' | 'node', parts: Array<string | Buffer>, options: Parameters<typeof rawExchange>[2] = {}) => rawExchange(servers[kind].port, parts, options)
const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`
const headerNamed = (r: Parsed, name: string) => r.headers.filter(([k]) => k === name).map(([, v]) => v)
const connections = (kind: 'fast' | 'node') => new Promise<number>((ok) => servers[kind].server.getConnections((_e, n) => ok(n)))
const until = async (check: () => boolean | Promise<boolean>) => {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20))
}

describe.each(PATHS)('response framing belongs to the platform (%s)', (kind) => {
  it('a function cannot split the response with its own Transfer-Encoding (the attack from issue 12)', async () => {
    const smuggled = '0\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\npoisoned!'
    const attack = `/fn/misbehave/header?name=Transfer-Encoding&value=chunked&body=${encodeURIComponent(smuggled)}`
    const { responses, raw } = await exchange(kind, [get(attack) + get('/fn/hello?name=victim')], { until: 2 })
    expect(raw).not.toMatch(/transfer-encoding/i)
    expect(responses.map((r) => r.status)).toEqual([200, 200])
    expect(responses[0]!.body).toBe(smuggled) // delivered as the body it is, framed by its length
    expect(headerNamed(responses[0]!, 'content-length')).toEqual([String(Buffer.byteLength(smuggled))])
    expect(responses[1]!.body).toBe('Hello, victim!\n')
  })

  it('drops a function’s Content-Length, Connection, Keep-Alive, Upgrade and TE in any case', async () => {
    const cases: Array<[string, string]> = [['Content-Length', '999'], ['CONTENT-LENGTH', '1'], ['Connection', 'close'], ['connection', 'keep-alive'], ['Keep-Alive', 'timeout=999'], ['Upgrade', 'h2c'], ['TE', 'trailers'], ['tRaNsFeR-eNcOdInG', 'gzip, chunked']]
    const requests = cases.map(([name, value]) => get(`/fn/misbehave/header?name=${name}&value=${encodeURIComponent(value)}`)).join('')
    const { responses, closed } = await exchange(kind, [requests + get('/fn/hello?name=last', 'Connection: close\r\n')])
    expect(responses).toHaveLength(cases.length + 1)
    for (const r of responses.slice(0, -1)) {
      expect(r.status).toBe(200)
      expect(r.body).toBe('header set')
      expect(headerNamed(r, 'content-length')).toEqual(['10'])
      expect(headerNamed(r, 'connection')).toEqual(['keep-alive'])
      for (const name of ['transfer-encoding', 'upgrade', 'te']) expect(header(r, name)).toBeUndefined()
      expect(headerNamed(r, 'keep-alive')).toEqual(['timeout=2'])
    }
    expect(responses.at(-1)!.body).toBe('Hello, last!\n')
    expect(closed).toBe(true)
  })

  it('a 204 or 304 carries neither a body nor a length, whatever the function returned', async () => {
    const { responses, raw } = await exchange(kind, [get('/fn/misbehave/status?204') + get('/fn/misbehave/status?304') + get('/fn/hello', 'Connection: close\r\n')])
    expect(responses.map((r) => r.status)).toEqual([204, 304, 200])
    for (const r of responses.slice(0, 2)) {
      expect(header(r, 'content-length')).toBeUndefined()
      expect(header(r, 'transfer-encoding')).toBeUndefined()
      expect(header(r, 'x-test')).toBe('yes')
    }
    expect(raw.split('HTTP/1.1 ').length).toBe(4)
    expect(responses[2]!.body).toBe('Hello, world!\n')
  })
})

describe('both paths refuse and deliver alike', () => {
  it('refuses two identical Content-Lengths and a Content-Length padded with a tab (400), as node:http does', async () => {
    for (const request of [
      'POST /fn/inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello',
      'POST /fn/inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 5\t\r\n\r\nhello',
    ]) {
      for (const kind of PATHS) {
        const { responses } = await exchange(kind, [request], { until: 1 })
        expect(responses[0]?.status, `${kind} ${JSON.stringify(request)}`).toBe(400)
      }
    }
  })

  // Found by the differential fuzzer (test/fuzz/http1-diff.test.ts).
  it('answers a refused request that has a body and reads on past its body, as node:http does', async () => {
    for (const kind of PATHS) {
      const { responses, closed } = await exchange(kind, [`GET /fn/nope HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc` + get('/fn/hello?name=next', 'Connection: close\r\n')])
      expect(responses.map((r) => r.status), kind).toEqual([404, 200])
      expect(header(responses[0]!, 'connection')).toBe('keep-alive')
      expect(responses[1]!.body).toBe('Hello, next!\n')
      expect(closed).toBe(true)
    }
  })

  it('answers 400 to a request cut short by the client’s half-close, after answering the whole ones', async () => {
    for (const kind of PATHS) {
      const { raw, closed } = await exchange(kind, [get('/fn/hello?name=whole') + 'POST /fn/inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc'], { end: true })
      expect(raw, kind).toMatch(/^HTTP\/1\.1 200 OK\r\n[^]*Hello, whole!\n/)
      expect(raw.endsWith('Hello, whole!\nHTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'), kind).toBe(true)
      expect(closed).toBe(true)
    }
  })

  it('hands a function the same headers when a request has thousands of header lines', async () => {
    const request = `GET /fn/inspect HTTP/1.1\r\nHost: x\r\n${'a:\r\n'.repeat(3_900)}Connection: close\r\n\r\n`
    const seen = await Promise.all(PATHS.map(async (kind) => {
      const { responses } = await exchange(kind, [request])
      return { status: responses[0]!.status, names: JSON.parse(responses[0]!.body).headerNames.length as number }
    }))
    expect(seen[0]!.status).toBe(200)
    expect(seen[0]).toEqual(seen[1])
    expect(seen[0]!.names).toBeLessThan(2_000) // node:http's maxHeadersCount keeps its count, on both paths
  })
})

describe.each(PATHS)('clients that go away or crawl (%s)', (kind) => {
  it('a client that aborts mid-body is not an internal error', async () => {
    const before = servers[kind].errors.length
    const heads = ['POST /fn/inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789', 'POST /fn/inspect HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n']
    for (const [how, request] of [['reset', heads[0]], ['half-close', heads[0]], ['reset', heads[1]], ['half-close', heads[1]]] as const) {
      const socket = connect(servers[kind].port, '127.0.0.1')
      socket.on('error', () => {})
      socket.resume() // whatever the server answers is read, so that its close is seen
      await new Promise((ok) => socket.on('connect', ok))
      socket.write(request)
      await new Promise((r) => setTimeout(r, 50))
      if (how === 'reset') socket.resetAndDestroy()
      else socket.end()
      await new Promise((ok) => socket.on('close', ok))
    }
    // Once the server has closed its side of both, nothing was logged.
    await until(async () => (await connections(kind)) === 0)
    await new Promise((r) => setImmediate(r))
    expect(servers[kind].errors.slice(before)).toEqual([])
  })

  it('answers 408 to a head trickled byte by byte at its total deadline (headersTimeout), not only after silence', async () => {
    const { status, sentBytes } = await trickle(kind, Buffer.from(`GET /fn/hello HTTP/1.1\r\nHost: x\r\n${'X-Slow: yes\r\n'.repeat(1000)}\r\n`), 0)
    expect(status).toBe(408)
    expect(sentBytes).toBeLessThan(12_000) // cut while it was still sending
  })

  it('answers 408 to a body trickled byte by byte at its total deadline (requestTimeout)', async () => {
    const head = `POST /fn/inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n`
    const { status, sentBytes } = await trickle(kind, Buffer.from(head + 'b'.repeat(5_000)), head.length)
    expect(status).toBe(408)
    expect(sentBytes).toBeLessThan(head.length + 5_000)
  })

  it('does not count requests still arriving against the in-flight limit (64): 1,024 slow bodies, and hello still answers', async () => {
    const sockets: Socket[] = []
    let answered = 0
    try {
      for (let i = 0; i < 1024; i++) {
        const s = connect(servers[kind].port, '127.0.0.1')
        s.on('error', () => {})
        s.on('data', () => answered++)
        s.write('POST /fn/inspect HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0')
        sockets.push(s)
      }
      await Promise.all(sockets.map((s) => (s.connecting ? new Promise((ok) => s.once('connect', ok)) : undefined)))
      await until(async () => (await connections(kind)) >= 1024)
      await new Promise((r) => setTimeout(r, 100)) // the server reads the 1,024 heads
      const { responses } = await exchange(kind, [get('/fn/hello?name=still', 'Connection: close\r\n')])
      expect(answered).toBe(0) // no slow client was refused either
      expect(responses[0]!.status).toBe(200)
      expect(responses[0]!.body).toBe('Hello, still!\n')
    } finally {
      for (const s of sockets) s.destroy()
    }
  })
})

/**
 * Sends `bytes` one at a time (after the first `headBytes` at once) until the server answers or closes;
 * the writes never pause long enough for an inactivity timeout.
 */
function trickle(kind: 'fast' | 'node', bytes: Buffer, headBytes: number): Promise<{ status: number | undefined; sentBytes: number }> {
  return new Promise((resolve) => {
    const socket = connect(servers[kind].port, '127.0.0.1')
    const reader = new ResponseReader([])
    let sent = 0
    let timer: NodeJS.Timeout | undefined
    const done = () => {
      clearInterval(timer)
      socket.destroy()
      resolve({ status: reader.responses[0]?.status, sentBytes: sent })
    }
    socket.on('data', (d: Buffer) => {
      reader.push(d)
      if (reader.responses.length > 0) done()
    })
    socket.on('error', () => {})
    socket.on('close', done)
    socket.on('connect', () => {
      socket.write(bytes.subarray(0, headBytes))
      sent = headBytes
      timer = setInterval(() => {
        if (sent >= bytes.length) return
        socket.write(bytes.subarray(sent, sent + 1))
        sent++
      }, 10)
    })
  })
}
