// The URL a host advertises to the others: never 127.0.0.1 while the machine has another address.
import { describe, expect, it } from 'vitest'
import { advertisedUrl } from './host.js'

const lo = { address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' } as const
const eth0 = { address: '10.77.3.12', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '10.77.3.12/24' } as const
const eth0v6 = { address: 'fe80::1', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '02:00:00:00:00:01', internal: false, cidr: 'fe80::1/64', scopeid: 2 } as const

describe('advertisedUrl', () => {
  it('is the address listened on', () => {
    expect(advertisedUrl({ address: '10.77.3.12', family: 'IPv4', port: 8080 }, { lo: [lo], eth0: [eth0] })).toBe('http://10.77.3.12:8080')
    expect(advertisedUrl({ address: '127.0.0.1', family: 'IPv4', port: 8080 }, { lo: [lo], eth0: [eth0] })).toBe('http://127.0.0.1:8080')
  })

  it('listening on every address, is the first IPv4 address that is not loopback', () => {
    expect(advertisedUrl({ address: '0.0.0.0', family: 'IPv4', port: 8080 }, { lo: [lo], eth0: [eth0v6, eth0] })).toBe('http://10.77.3.12:8080')
    expect(advertisedUrl({ address: '::', family: 'IPv6', port: 9000 }, { lo: [lo], eth0: [eth0] })).toBe('http://10.77.3.12:9000')
  })

  it('is 127.0.0.1 only on a machine with nothing but loopback', () => {
    expect(advertisedUrl({ address: '0.0.0.0', family: 'IPv4', port: 8080 }, { lo: [lo] })).toBe('http://127.0.0.1:8080')
  })
})
