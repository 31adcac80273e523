// What a trickling client costs the fast path, by structure (buffers held, bytes examined), not by clock.
import { describe, expect, it } from 'vitest'
import { HeadParser, MAX_FAST_HEADER_LINES, ReadBuffer } from './http1-head.js'

/** Feeds `bytes` to a ReadBuffer and a HeadParser in pieces of `step` bytes, as a connection does. */
function trickle(bytes: Buffer, step: number) {
  const input = new ReadBuffer()
  const parser = new HeadParser()
  let maxBuffers = 0
  let maxHeld = 0
  let result
  for (let i = 0; i < bytes.length; i += step) {
    input.append(Buffer.from(bytes.subarray(i, i + step))) // a fresh Buffer per segment, as a socket gives
    maxBuffers = Math.max(maxBuffers, input.buffersHeld)
    maxHeld = Math.max(maxHeld, input.bytesHeld)
    result = parser.parse(input.bytes, 16 * 1024)
    if (result !== undefined) break
  }
  return { result, maxBuffers, maxHeld, scanned: parser.bytesScanned }
}

const headOf = (lines: string[]) => Buffer.from(`GET /fn/hello HTTP/1.1\r\nHost: t\r\n${lines.map((l) => l + '\r\n').join('')}\r\n`, 'latin1')

describe('a head sent a byte at a time', () => {
  it('is held in at most two buffers, within about twice its size', () => {
    const head = headOf(Array.from({ length: 90 }, (_, i) => `x-h${i}: ${'v'.repeat(80)}`)) // ~8,000 bytes
    const { result, maxBuffers, maxHeld } = trickle(head, 1)
    expect(result).toMatchObject({ method: 'GET', url: '/fn/hello', size: head.length })
    expect(maxBuffers).toBeLessThanOrEqual(2)
    expect(maxHeld).toBeLessThanOrEqual(2 * head.length + 1024)
  })

  it('is read once, not again from its start at every line', () => {
    const head = headOf(Array.from({ length: MAX_FAST_HEADER_LINES - 1 }, (_, i) => `x-${i}: ${'w'.repeat(40)}`))
    for (const step of [1, 7, head.length]) {
      const { result, scanned } = trickle(head, step)
      expect(result).toMatchObject({ rawHeaders: expect.arrayContaining(['x-3']) })
      // Each byte is searched for a line end once and checked once.
      expect(scanned).toBeLessThanOrEqual(2 * head.length)
    }
  })

  it('parses to the same head whatever the split', () => {
    const head = headOf(['Content-Length: 3', 'X-A:  spaced  ', 'Connection: close'])
    const whole = trickle(head, head.length).result
    expect(whole).toEqual({ method: 'GET', url: '/fn/hello', rawHeaders: ['Host', 't', 'Content-Length', '3', 'X-A', 'spaced', 'Connection', 'close'], contentLength: 3, close: true, size: head.length })
    for (const step of [1, 2, 3, 5, 11]) expect(trickle(head, step).result).toEqual(whole)
  })

  it('leaves to node:http what node:http must decide: more header lines than the fast path reads, a second or padded Content-Length', () => {
    expect(trickle(headOf(Array.from({ length: MAX_FAST_HEADER_LINES }, () => 'a:')), 1).result).toBeNull()
    expect(trickle(headOf(['Content-Length: 5', 'Content-Length: 5']), 3).result).toBeNull()
    expect(trickle(headOf(['Content-Length: 5\t']), 3).result).toBeNull()
    expect(trickle(headOf(['Content-Length: 5 ']), 3).result).toBeNull()
  })
})

describe('ReadBuffer', () => {
  it('keeps a lone chunk without copying and consumes from the front', () => {
    const input = new ReadBuffer()
    const chunk = Buffer.from('abcdef')
    input.append(chunk)
    expect(input.bytes).toBe(chunk)
    input.consume(2)
    input.append(Buffer.from('gh'))
    expect(input.bytes.toString()).toBe('cdefgh')
    input.consume(6)
    expect(input.buffersHeld).toBe(0)
  })
})
