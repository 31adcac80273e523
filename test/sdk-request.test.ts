// The SDK's Request as a handler sees it: every part decoded from the host's buffer (lazily, in any
// order), header names lower-cased and values kept byte for byte, and a Request built in code.
import { beforeAll, describe, expect, it } from 'vitest'
import { createRuntime } from '../runtime/index.js'
import { buildFunction, text } from './helpers.js'

const runtime = createRuntime()
const inspect = (req: Parameters<typeof runtime.invokeSync>[1]) => JSON.parse(text(runtime.invokeSync('inspect', req).body))

describe('SDK Request', () => {
  beforeAll(async () => {
    runtime.load((await buildFunction('inspect')).artifact)
  }, 120_000)

  it('decodes method, path, query, headers and body', () => {
    const got = inspect({ method: 'patch', path: '/a/b', query: 'p=%C3%A9t%C3%A9&q=1', headers: [['X-A', 'first'], ['x-b', 'ünïcødé ✓'], ['x-a', 'second']], body: 'héllo' })
    expect(got).toEqual({
      bodyText: 'héllo',
      bodyLength: 6,
      headerNames: ['x-a', 'x-b', 'x-a'],
      headerValues: ['first', 'ünïcødé ✓', 'second'],
      xA: 'first',
      query: 'p=%C3%A9t%C3%A9&q=1',
      p: 'été',
      path: '/a/b',
      method: 'PATCH',
    })
  })

  it('takes raw header lists as node:http gives them, and empty parts', () => {
    const got = inspect({ rawHeaders: ['Host', 'example.test', 'X-A', ''], body: new Uint8Array(0) })
    expect(got.headerNames).toEqual(['host', 'x-a'])
    expect(got.headerValues).toEqual(['example.test', ''])
    expect(got.xA).toBe('')
    expect(got.method).toBe('GET')
    expect(got.path).toBe('/')
    expect(got.query).toBe('')
    expect(got.p).toBeNull()
    expect(got.bodyLength).toBe(0)
  })

  it('keeps a large binary body intact', () => {
    const body = new Uint8Array(200_000).map((_, i) => (i * 7919) & 0xff)
    const got = inspect({ method: 'POST', headers: Array.from({ length: 50 }, (_, i) => [`x-h${i}`, 'v'.repeat(i)] as [string, string]), body })
    expect(got.bodyLength).toBe(200_000)
    expect(got.headerNames).toHaveLength(50)
    expect(got.headerValues[49]).toBe('v'.repeat(49))
  })

  it('builds a Request in code with defaults and assignable parts', () => {
    const got = inspect({ path: '/built' })
    expect(got.defaults).toBe('GET / [] 0 0')
    expect(got.assigned).toBe('PUT /x v text/plain hi')
  })
})
