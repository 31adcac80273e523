// bench:http's workerd peer: the JavaScript hello it serves answers what Jaegis's hello function
// answers (status, content type and length, body), and workerd starts and stops cleanly.
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRuntime, type Runtime } from '../runtime/index.js'
import { acceptFastConnections, createGateway, type FastConnections } from '../gateway/index.js'
import { freeLowPort, startWorkerd, workerdBinary, type WorkerdTarget } from '../bench/workerd.js'
import { buildFunction } from './helpers.js'
import { header, rawExchange, type Parsed } from './raw-http.js'

let runtime: Runtime
let server: Server
let fast: FastConnections
let jaegisPort: number
let workerd: WorkerdTarget

beforeAll(async () => {
  const hello = await buildFunction('hello')
  runtime = createRuntime()
  runtime.load(hello.artifact)
  const gateway = createGateway(runtime, { onError: () => {} })
  server = createServer({ keepAlive: true }, (req, res) => {
    if (!gateway(req, res)) res.writeHead(404).end()
  })
  fast = acceptFastConnections(server, gateway)
  jaegisPort = await freeLowPort()
  await new Promise<void>((ok) => server.listen(jaegisPort, '127.0.0.1', ok))
  workerd = await startWorkerd()
}, 120_000)

afterAll(async () => {
  await workerd?.stop()
  if (!server) return
  fast.closeAll()
  server.closeAllConnections()
  await new Promise((ok) => server.close(ok))
  runtime.close()
})

const ask = async (port: number, target: string): Promise<Parsed> =>
  (await rawExchange(port, [`GET ${target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`])).responses[0]!

describe('workerd peer of bench:http', () => {
  it('runs the binary the npm package installed, below port 32768', () => {
    expect(existsSync(workerdBinary().path)).toBe(true)
    expect(workerd.port).toBeLessThan(32768)
    expect(workerd.child.pid).toBeGreaterThan(0)
  })

  it('answers the bytes Jaegis hello answers, framing headers aside', async () => {
    for (const target of ['/fn/hello', '/fn/hello?name=bench', '/fn/hello?name=caf%C3%A9', '/fn/hello?name=']) {
      const [j, w] = await Promise.all([ask(jaegisPort, target), ask(workerd.port, target)])
      expect(w.status, target).toBe(j.status)
      expect(w.body, target).toBe(j.body)
      for (const name of ['content-type', 'content-length']) expect(header(w, name), `${target} ${name}`).toBe(header(j, name))
    }
    expect((await ask(workerd.port, '/fn/hello')).body).toBe('Hello, world!\n')
  })

  it('stops by pid and leaves no process behind', async () => {
    const other = await startWorkerd()
    const pid = other.child.pid!
    await other.stop()
    expect(() => process.kill(pid, 0)).toThrow()
  })
})
