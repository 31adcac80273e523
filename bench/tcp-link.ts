// A TCP link that can be cut: listens on a port below 32768 and relays to a target. `cut()` destroys
// every relayed connection and refuses new ones until `restore()`. The edge-site test and bench:edge
// put it between a site's leaf node and the hub when network namespaces are unavailable (with them,
// the site's veth is taken down instead: packets vanish rather than connections being reset).
import { connect, createServer, type Socket } from 'node:net'
import { freePortBelow32768 } from './nats-server.js'

export interface TcpLink {
  port: number
  cut(): void
  restore(): void
  close(): Promise<void>
}

export async function startTcpLink(targetHost: string, targetPort: number, host = '127.0.0.1'): Promise<TcpLink> {
  let up = true
  const open = new Set<Socket>()
  const server = createServer((client) => {
    if (!up) return void client.destroy()
    const upstream = connect(targetPort, targetHost)
    for (const s of [client, upstream]) {
      open.add(s)
      s.once('close', () => open.delete(s))
      s.on('error', () => {})
    }
    client.pipe(upstream).pipe(client)
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  const port = await freePortBelow32768(host)
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, () => resolve()))
  return {
    port,
    cut() {
      up = false
      for (const s of open) s.destroy()
    },
    restore() {
      up = true
    },
    async close() {
      up = false
      for (const s of open) s.destroy()
      await new Promise<void>((r) => server.close(() => r()))
    },
  }
}
