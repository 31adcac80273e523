import { describe, expect, it } from 'vitest'
import { hubConfig, leafNodeConfig } from './site-config.js'
import { checkSiteName, hubUnavailable } from './site.js'
import { SiteMetricsIntake } from './site-metrics.js'
import type { SiteMetricsRecord } from './records.js'

describe('edge site names and configuration', () => {
  it('takes a site name that is one subject token and not the hub domain; says why otherwise', () => {
    expect(() => checkSiteName('paris-1', 'hub')).not.toThrow()
    for (const [name, why] of [['a.b', /is not valid/], ['', /is not valid/], ['a b', /is not valid/], ['x'.repeat(65), /is not valid/], ['*', /is not valid/], ['hub', /is the hub's JetStream domain/]] as const) {
      expect(() => checkSiteName(name, 'hub')).toThrow(why)
    }
    expect(() => checkSiteName('a', 'h.b')).toThrow(/hub domain "h.b" is not valid/)
  })

  it('prints a leaf node with the site as its JetStream domain and the hub as its remote', () => {
    const conf = leafNodeConfig({ site: 'paris', hubUrls: ['nats://hub.example:7422'], listen: '10.0.0.2:4222', storeDir: '/srv/"nats"' })
    expect(conf).toContain('domain: "paris"')
    expect(conf).toContain('remotes: [ { urls: ["nats://hub.example:7422"] } ]')
    expect(conf).toContain('listen: "10.0.0.2:4222"')
    expect(conf).toContain('store_dir: "/srv/\\"nats\\""') // quoted, not injected
    expect(hubConfig({ leafListen: '0.0.0.0:7422' })).toMatch(/domain: "hub"[\s\S]*leafnodes \{\n  listen: "0.0.0.0:7422"/)
  })

  it('refuses a hub URL that is not a NATS URL, credentials in it, a bad listen address, no hub', () => {
    const base = { site: 'a', listen: '0.0.0.0:4222' }
    expect(() => leafNodeConfig({ ...base, hubUrls: ['http://hub:7422'] })).toThrow(/must be nats:\/\//)
    expect(() => leafNodeConfig({ ...base, hubUrls: ['hub:7422'] })).toThrow(/must be nats:\/\/|not a URL/)
    expect(() => leafNodeConfig({ ...base, hubUrls: ['nats://u:p@hub:7422'] })).toThrow(/credentials/)
    expect(() => leafNodeConfig({ ...base, hubUrls: [] })).toThrow(/--hub <url> is required/)
    expect(() => leafNodeConfig({ ...base, hubUrls: ['nats://hub:7422'], listen: '0.0.0.0:99999' })).toThrow(/not <host>:<port>/)
    expect(() => leafNodeConfig({ ...base, hubUrls: ['nats://hub:7422'], listen: 'x\n}\nfoo: 1:4222' })).toThrow(/not <host>:<port>/)
  })

  it('turns what a cut-off hub answers (including the misleading "jetstream is not enabled") into one clear 503', () => {
    for (const msg of ['jetstream is not enabled', "no responders: '$JS.hub.API.INFO'", 'TIMEOUT']) {
      const e = hubUnavailable('a', 'hub', 'artifact x', new Error(msg))
      expect(e.code).toBe('UNAVAILABLE')
      expect(e.message).toMatch(/site "a" cannot reach the hub \(JetStream domain "hub"\) for artifact x/)
    }
    expect(hubUnavailable('a', 'hub', 'x', new Error('permissions violation')).code).toBe('INTERNAL')
  })
})

describe('SiteMetricsIntake', () => {
  const record = (seq: number, n: number, host = 'h1'): SiteMetricsRecord => ({ host, site: 'a', startedAtMs: 1000, seq, fromMs: 0, toMs: 1, invocations: { f: n } })

  it('applies each record once: a redelivered or republished record (same id) is not counted again', () => {
    const intake = new SiteMetricsIntake(undefined as never, { controlId: 'c', onError: () => {} })
    expect(intake.apply(record(1, 5))).toBe(true)
    expect(intake.apply(record(2, 3))).toBe(true)
    expect(intake.apply(record(1, 5))).toBe(false) // redelivered
    expect(intake.apply({ ...record(1, 5), startedAtMs: 2000 })).toBe(true) // the host restarted: a new id
    expect(intake.apply(record(1, 7, 'h2'))).toBe(true)
    expect(intake.view()).toEqual({ records: 4, duplicates: 1, invocations: { a: { f: 20 } } })
  })
})
