// One client process of bench:concurrency: opens `count` keep-alive connections to the target from
// its own 127.x source address, then (when the parent says go) sends one request on each at once,
// reads each response, and keeps every connection open until told to close. Reports over IPC.
import { connect, type Socket } from 'node:net'

interface Start {
  port: number
  count: number
  /** Source addresses, used in turn (binding many sockets to one address makes each bind slower). */
  localAddresses: string[]
  /** Connects in flight at once (the listen backlog is finite). */
  connectBatch: number
}

const REQUEST = Buffer.from('GET /fn/hello?name=c HTTP/1.1\r\nHost: bench\r\n\r\n')
const send = (m: unknown) => process.send!(m)
const sockets: Socket[] = []
let errors = 0
const closedEarly = new Set<Socket>()
/** Answers other than 200, by status. */
const statuses: Record<string, number> = {}

process.on('message', async (m: { t: string } & Partial<Start>) => {
  if (m.t === 'start') {
    const o = m as Start
    let next = 0
    const open = () =>
      new Promise<void>((resolve) => {
        const s = connect({ port: o.port, host: '127.0.0.1', localAddress: o.localAddresses[next % o.localAddresses.length] })
        s.setNoDelay(true)
        s.once('connect', () => {
          sockets.push(s)
          // A connection the server closes before the requests go counts as an error then.
          s.once('close', () => closedEarly.add(s))
          resolve()
        })
        s.once('error', (err: NodeJS.ErrnoException) => {
          errors++
          statuses[`connect ${err.code}`] = (statuses[`connect ${err.code}`] ?? 0) + 1
          resolve()
        })
      })
    const runner = async () => {
      while (next < o.count) {
        next++
        await open()
      }
    }
    await Promise.all(Array.from({ length: o.connectBatch }, runner))
    send({ t: 'connected', connected: sockets.length, errors, statuses })
  } else if (m.t === 'go') {
    const latencies: number[] = []
    let pending = sockets.length
    const t0 = performance.now()
    const done = () => {
      if (--pending === 0) send({ t: 'answered', latencies, errors, statuses })
    }
    for (const s of sockets) {
      if (closedEarly.has(s)) {
        errors++
        statuses['closed before the request'] = (statuses['closed before the request'] ?? 0) + 1
        done()
        continue
      }
      s.removeAllListeners('close')
      let buf = ''
      let finished = false
      const finish = (ok: boolean) => {
        if (finished) return
        finished = true
        if (ok) latencies.push(performance.now() - t0)
        else {
          errors++
          if (!buf) statuses['closed unanswered'] = (statuses['closed unanswered'] ?? 0) + 1
        }
        done()
      }
      s.on('data', (d) => {
        buf += d.toString('latin1')
        // hello answers with a Content-Length body: the response is complete once the body is in.
        const head = buf.indexOf('\r\n\r\n')
        if (head < 0) return
        const len = /content-length: (\d+)/i.exec(buf.slice(0, head))
        if (len && buf.length >= head + 4 + Number(len[1])) {
          const status = buf.slice(9, 12)
          if (status !== '200') statuses[status] = (statuses[status] ?? 0) + 1
          finish(status === '200')
        }
      })
      s.on('close', () => finish(false))
      s.on('error', () => {})
      s.write(REQUEST)
    }
    if (sockets.length === 0) send({ t: 'answered', latencies, errors, statuses })
  } else if (m.t === 'close') {
    for (const s of sockets) s.destroy()
    process.exit(0)
  }
})
send({ t: 'ready' })
