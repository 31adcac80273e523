// A graceful shutdown under load (issue 12): `close()` on a serving `startServer` (what SIGTERM calls)
// while 50 keep-alive connections send back-to-back requests. Every request written before the
// shutdown is answered, the last answer on each connection says `Connection: close`, nothing is reset.
// Once on the fast path, once with every connection on node:http.
import { mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Artifact } from '../runtime/index.js'
import { startServer } from '../server/index.js'
import { buildFunction } from './helpers.js'
import { header, ResponseReader } from './raw-http.js'

let hello: Artifact
beforeAll(async () => {
  hello = (await buildFunction('hello')).artifact
}, 120_000)

const CONNECTIONS = 50
const HELLO = 'GET /fn/hello?name=load HTTP/1.1\r\nHost: x\r\n\r\n'
/** A chunked request: the fast path hands its connection to node:http, which then serves the rest. */
const TO_NODE = 'GET /fn/hello?name=load HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'

interface Client {
  written: number
  writtenBeforeClose: number
  answered: number
  lastConnection: string | undefined
  errors: string[]
  closed: Promise<void>
}

describe.each([['the fast path', HELLO], ['node:http', TO_NODE]])('close() under load on %s', (_name, first) => {
  it('answers every request written before it, with Connection: close last, resets none, and resolves', async () => {
    const server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-drain-')), token: 't', deployOnStart: [hello], autoscale: false, lanes: false, onError: () => {} })
    let closing = false
    const clients: Client[] = []
    for (let i = 0; i < CONNECTIONS; i++) {
      const socket = connect(server.port, '127.0.0.1')
      const reader = new ResponseReader([])
      const c: Client = { written: 0, writtenBeforeClose: 0, answered: 0, lastConnection: undefined, errors: [], closed: new Promise((ok) => socket.on('close', () => ok())) }
      const send = (request: string) => {
        c.written++
        if (!closing) c.writtenBeforeClose++
        socket.write(request)
      }
      socket.on('error', (err: NodeJS.ErrnoException) => c.errors.push(err.code ?? err.message))
      socket.on('data', (d: Buffer) => {
        reader.push(d)
        while (c.answered < reader.responses.length) {
          const r = reader.responses[c.answered++]!
          expect(r.status).toBe(200)
          c.lastConnection = header(r, 'connection')
          if (c.lastConnection === 'close') return // a client stops sending on this connection
          send(HELLO) // back to back
        }
      })
      socket.on('connect', () => send(first))
      clients.push(c)
    }
    // Under load: every connection has been answered a few times.
    while (clients.some((c) => c.answered < 5)) await new Promise((r) => setTimeout(r, 10))
    closing = true
    await server.close(10_000)
    await Promise.all(clients.map((c) => c.closed))

    expect(clients.flatMap((c) => c.errors)).toEqual([]) // no ECONNRESET, no EPIPE
    for (const c of clients) {
      expect(c.answered).toBeGreaterThanOrEqual(c.writtenBeforeClose)
      expect(c.answered).toBe(c.written) // none left unanswered, written before or after close()
    }
    // Connections with a request under way at close() were told to close; idle ones were just closed.
    expect(clients.filter((c) => c.lastConnection === 'close').length).toBeGreaterThan(0)
    expect(clients.every((c) => c.lastConnection === 'close' || c.lastConnection === 'keep-alive')).toBe(true)
  }, 60_000)
})
