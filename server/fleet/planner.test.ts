import { describe, expect, it } from 'vitest'
import { planCluster } from './planner.js'
import type { HostRecord } from './records.js'

const host = (id: string, region: string, memoryMb = 1024): HostRecord => ({ id, tier: 'edge-1', region, labels: [], memoryMb, url: `http://${id}`, startedAtMs: 0 })
const fn = (name: string, memoryMb = 64) => ({ name, digest: name.padEnd(64, '0'), version: 1, memoryMb })

describe('planCluster', () => {
  it('places every function on minHosts distinct hosts, preferring the region its demand comes from', () => {
    const hosts = [host('a', 'west'), host('b', 'west'), host('c', 'east'), host('d', 'east')]
    const out = planCluster({ hosts, deployments: [fn('f'), fn('g')], demand: new Map([['f', new Map([['east', 100]])]]), minHosts: 2 })
    for (const name of ['f', 'g']) {
      expect(new Set(out.functions[name]!.hosts).size).toBe(2)
    }
    expect(['c', 'd']).toContain(out.functions.f!.hosts[0])
  })

  it('never names a host that is not registered, and uses what is left after a loss', () => {
    const hosts = [host('a', 'west'), host('b', 'west'), host('c', 'east')]
    const first = planCluster({ hosts, deployments: [fn('f')], demand: new Map(), minHosts: 2 })
    const lost = first.functions.f!.hosts[0]!
    const second = planCluster({ hosts: hosts.filter((h) => h.id !== lost), deployments: [fn('f')], demand: new Map(), minHosts: 2, previous: first.placement })
    expect(second.functions.f!.hosts).not.toContain(lost)
    expect(second.functions.f!.hosts).toHaveLength(2)
  })

  it('places on fewer hosts when fewer are alive, and on none without hosts', () => {
    expect(planCluster({ hosts: [host('a', 'west')], deployments: [fn('f')], demand: new Map(), minHosts: 2 }).functions.f!.hosts).toEqual(['a'])
    expect(planCluster({ hosts: [], deployments: [fn('f')], demand: new Map(), minHosts: 2 }).functions.f!.hosts).toEqual([])
  })

  it('puts every function on a host of every edge site with room for it, even with its demand elsewhere', () => {
    const site = (id: string, name: string, memoryMb = 1024): HostRecord => ({ ...host(id, name, memoryMb), site: name })
    const hosts = [host('c1', 'central'), site('a1', 'a'), site('a2', 'a'), site('b1', 'b', 100), site('b2', 'b', 100)]
    const demand = new Map([['f', new Map([['central', 100]])]])
    const out = planCluster({ hosts, deployments: [fn('f', 64), fn('big', 512)], demand, minHosts: 2 })
    const sitesOf = (name: string) => new Set(out.functions[name]!.hosts.map((h) => hosts.find((x) => x.id === h)!.site ?? 'hub'))
    expect(sitesOf('f')).toEqual(new Set(['hub', 'a', 'b']))
    // 512 MiB fits at site a, not on site b's 100 MiB hosts: site b does not hold it.
    expect(sitesOf('big').has('a')).toBe(true)
    expect(sitesOf('big').has('b')).toBe(false)
  })
})

describe('planCluster top-ups', () => {
  it('never tops a function up onto a host without room for it', () => {
    const hosts = [host('big', 'west', 1024), host('small', 'west', 24)]
    const out = planCluster({ hosts, deployments: [fn('f', 32)], demand: new Map(), minHosts: 2 })
    expect(out.functions.f!.hosts).toEqual(['big'])
  })
})
