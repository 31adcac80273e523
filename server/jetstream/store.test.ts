import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NatsConnection } from '@nats-io/nats-core'
import { Objm } from '@nats-io/obj'
import { jetstream } from '@nats-io/jetstream'
import { startNatsServer, type NatsServerProcess } from '../../bench/nats-server.js'
import { fakeArtifact, storeContract } from '../../test/store-contract.js'
import { connectNats } from './connect.js'
import { encodeArtifact } from './artifact-blob.js'
import { ARTIFACTS_BUCKET } from './names.js'
import { JetStreamStore } from './store.js'

let nats: NatsServerProcess
let nc: NatsConnection
let n = 0
beforeAll(async () => {
  nats = await startNatsServer()
  nc = await connectNats(nats.url)
})
afterAll(async () => {
  await nc?.close()
  await nats?.destroy()
})

// Each test gets fresh buckets on the same server (a prefix per store).
storeContract('JetStreamStore', () => JetStreamStore.open(nc, { prefix: `t${++n}-` }))

describe('JetStreamStore', () => {
  it('refuses a deployment write over a revision it did not read (compare-and-set)', async () => {
    const prefix = `cas${++n}-`
    const a = await JetStreamStore.open(nc, { prefix })
    const b = await JetStreamStore.open(nc, { prefix })
    const config = fakeArtifact('f', 0).meta.config
    const v = (version: number) => ({ version, digest: 'a'.repeat(64), deployedAt: '2026-01-01T00:00:00.000Z', config })
    await a.putDeployment({ name: 'f', current: 1, versions: [v(1)] })
    await b.getDeployment('f')
    await a.getDeployment('f')
    await a.putDeployment({ name: 'f', current: 2, versions: [v(1), v(2)] })
    await expect(b.putDeployment({ name: 'f', current: 2, versions: [v(1), { ...v(2), digest: 'b'.repeat(64) }] })).rejects.toMatchObject({ code: 'CONFLICT' })
    expect((await b.getDeployment('f'))!.versions[1]!.digest).toBe('a'.repeat(64))
  })

  it('never returns an artifact whose bytes do not hash to its digest', async () => {
    const prefix = `tamper${++n}-`
    const store = await JetStreamStore.open(nc, { prefix })
    const good = fakeArtifact('f', 1)
    const other = fakeArtifact('f', 2)
    // Someone with write access to the bucket puts other bytes under good's digest.
    const forged = encodeArtifact({ ...other, meta: { ...other.meta, digest: good.meta.digest } })
    await (await new Objm(jetstream(nc)).open(prefix + ARTIFACTS_BUCKET)).putBlob({ name: good.meta.digest }, forged)
    await expect(store.getArtifact(good.meta.digest)).rejects.toMatchObject({ code: 'INVALID_ARTIFACT', message: expect.stringMatching(/digest mismatch/) })
  })

  it('keeps a bounded number of log lines per function', async () => {
    const store = await JetStreamStore.open(nc, { prefix: `logs${++n}-` })
    const lines = Array.from({ length: 1200 }, (_, i) => ({ timeMs: i, level: 'info', message: `line ${i}`, version: 1 }))
    await store.appendLogs('f', lines)
    const all = await store.readLogs('f', 5000)
    expect(all.length).toBe(1000)
    expect(all.at(-1)!.message).toBe('line 1199')
  })
})
