// The hog clients of bench:isolation, in a process of their own so that the load generator's busy
// event loop does not delay (and so inflate) the moments they see their answers. Calls each path
// back to back until told to stop; reports every deadline overrun and every unexpected answer.
import { Agent, request } from 'node:http'

interface Start {
  port: number
  clients: Array<{ path: string; timeoutMs: number; body?: string }>
}

let stop = false
const overruns: Array<{ path: string; ms: number }> = []
let errors = 0

function exchange(agent: Agent, port: number, path: string, body?: string, method = 'POST'): Promise<{ status: number; ms: number }> {
  const t0 = performance.now()
  return new Promise((resolve) => {
    const req = request({ agent, host: '127.0.0.1', port, method, path, headers: body ? { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body) } : { 'content-length': 0 } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }))
    })
    req.on('error', () => resolve({ status: 0, ms: performance.now() - t0 }))
    // One write for head and body, as a client that knows the body's length would.
    req.on('socket', (socket) => socket.setNoDelay(true))
    req.end(body)
  })
}

process.on('message', async (m: { t: 'start' } & Start | { t: 'stop' }) => {
  if (m.t === 'stop') {
    stop = true
    return
  }
  const agent = new Agent({ keepAlive: true, maxSockets: 64, noDelay: true })
  // Each client's connection is opened (one GET /healthz on it) before the timed calls start, as a
  // client with a keep-alive connection would have it. Without this, the first round's overrun
  // measured this fresh process, not the server: traced on one clock, a hog's first call spent
  // 6.8 ms between its start and the TCP connect (the client's own first request, cold), then
  // reached the server 0.5 ms later and got its 504 0.5 ms past the server's deadline.
  await Promise.all(m.clients.map(() => exchange(agent, m.port, '/healthz', undefined, 'GET')))
  await Promise.all(
    m.clients.map(async (c) => {
      while (!stop) {
        const r = await exchange(agent, m.port, c.path, c.body)
        if (r.status === 504) overruns.push({ path: c.path, ms: r.ms - c.timeoutMs })
        else if (r.status !== 200) errors++
      }
    }),
  )
  agent.destroy()
  process.send!({ t: 'done', overruns, errors })
})
process.send!({ t: 'ready' })
