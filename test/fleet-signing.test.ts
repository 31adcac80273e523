// A cluster host with a trust list and --require-signed runs only what a trusted key signed, whatever
// the control plane accepted: an unsigned hello deployed through a permissive control plane is never
// served by that host (it answers 503, not the function), the same function signed by the trusted
// key is. Real processes: nats-server, one control plane, one host.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { startNatsServer, type NatsServerProcess } from '../bench/nats-server.js'
import { deployThrough, get, startControl, startHost, until, type JaegisProcess } from '../bench/cluster-processes.js'
import { jaegis } from './kernels/cli-run.js'
import { ROOT } from './helpers.js'

const HB = ['--heartbeat-ms', '250']
let nats: NatsServerProcess
let procs: JaegisProcess[] = []
const work = mkdtempSync(join(tmpdir(), 'jaegis-fleet-signing-'))

beforeAll(async () => {
  expect((await jaegis(['keys', 'new', '--out', join(work, 'keys'), '--name', 'ops'])).code).toBe(0)
  nats = await startNatsServer()
  procs = await Promise.all([
    startControl('sc1', nats.url, [...HB, '--min-hosts', '1']),
    startHost('sh1', nats.url, 'west', [...HB, '--trust', join(work, 'keys', 'ops.pub'), '--require-signed']),
  ])
})

afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill('SIGKILL')))
  await nats?.destroy()
  rmSync(work, { recursive: true, force: true })
})

it('never serves an unsigned artifact on a --require-signed host, and serves the signed one', async () => {
  const [control, host] = procs as [JaegisProcess, JaegisProcess]
  // Unsigned: the control plane (no policy) stores and places it; the host refuses to load it.
  await deployThrough(control, join(ROOT, 'build', 'functions', 'hello'))
  const unsigned = await until('the placed, unsigned hello answered by the host', async () => {
    const r = await get(`${host.url}/fn/hello?name=x`)
    return r.status === 'timeout' || String(r.status).startsWith('error') ? undefined : r
  }, 20_000)
  expect(unsigned.status).not.toBe(200)
  // Still not served a moment later (the host did not load it in the meantime).
  await new Promise((r) => setTimeout(r, 1000))
  expect((await get(`${host.url}/fn/hello?name=x`)).status).not.toBe(200)

  // Signed by the trusted key: the next version loads and serves.
  const built = await jaegis(['build', join(ROOT, 'functions', 'hello'), '--out', join(work, 'hello-signed'), '--sign-key', join(work, 'keys', 'ops.key')])
  expect(built.code, built.stderr).toBe(0)
  await deployThrough(control, join(work, 'hello-signed'))
  const signed = await until('the signed hello served by the host', async () => {
    const r = await get(`${host.url}/fn/hello?name=signed`)
    return r.status === 200 ? r : undefined
  }, 20_000)
  expect(signed.body).toBe('Hello, signed!\n')
})
