// An edge site whose leaf node cannot reach the hub when its host starts (the hub is not running yet):
// the host starts on what the site holds (nothing here), answers 503 with a clear message meanwhile,
// and once the hub and a control plane come up it registers and serves what is deployed, without a
// restart. Real processes on loopback ports.
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { hubConfig, leafNodeConfig } from '@jaegis/server/fleet/site-config'
import { freePortBelow32768, startNatsServer, type NatsServerProcess } from '../bench/nats-server.js'
import { deployThrough, get, startControl, startHost, until, type JaegisProcess } from '../bench/cluster-processes.js'
import { ROOT } from './helpers.js'

const servers: NatsServerProcess[] = []
const procs: JaegisProcess[] = []
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')))
  await Promise.all(servers.map((s) => s.destroy()))
})

it('a site host whose leaf cannot reach the hub at start serves once the hub comes up', async () => {
  const hubPort = await freePortBelow32768()
  const leafPort = await freePortBelow32768()
  const leaf = await startNatsServer({ config: ({ host, port, storeDir }) => leafNodeConfig({ site: 'a', hubUrls: [`nats://127.0.0.1:${leafPort}`], listen: `${host}:${port}`, storeDir }) })
  servers.push(leaf)
  const host = await startHost('a1', leaf.url, 'a', ['--heartbeat-ms', '250', '--site', 'a'])
  procs.push(host)
  const before = await get(`${host.url}/fn/hello?name=x`)
  expect(before.status).toBe(503)
  expect(JSON.parse(before.body!).error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/not held at site "a", and the site cannot reach the hub/) })
  const hub = await startNatsServer({ port: hubPort, config: ({ host: h, port, storeDir }) => hubConfig({ listen: `${h}:${port}`, leafListen: `${h}:${leafPort}`, storeDir }) })
  servers.push(hub)
  const control = await startControl('c1', hub.url, ['--heartbeat-ms', '250'])
  procs.push(control)
  await deployThrough(control, join(ROOT, 'build', 'functions', 'hello'))
  await until('a1 serves hello', async () => ((await get(`${host.url}/fn/hello?name=x`)).status === 200 ? true : undefined), 30_000)
  expect((await get(`${host.url}/fn/hello?name=edge`)).body).toBe('Hello, edge!\n')
}, 90_000)

it('refuses a --site host whose --nats is not its site leaf node', async () => {
  const hub = await startNatsServer({ config: ({ host, port, storeDir }) => hubConfig({ listen: `${host}:${port}`, leafListen: `${host}:${port + 1 > 32767 ? port - 1 : port + 1}`, storeDir }) })
  servers.push(hub)
  await expect(startHost('x1', hub.url, 'a', ['--site', 'a'])).rejects.toThrow(/is in JetStream domain "hub", not site "a"/)
  await expect(startHost('x2', hub.url, 'a', ['--site', 'a.b'])).rejects.toThrow(/site name "a.b" is not valid/)
}, 60_000)
