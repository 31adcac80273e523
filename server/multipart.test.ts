// The streaming multipart reader against what a client sends, split into chunks at random points.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { JaegisError } from '@jaegis/runtime'
import { multipartBoundary, readMultipart } from './multipart.js'

const BOUNDARY = '----jaegis7MA4YWxkTrZu0gW'

function encode(parts: Array<{ name: string; data: Uint8Array }>, preamble = '', epilogue = ''): Buffer {
  const out: Buffer[] = [Buffer.from(preamble)]
  for (const p of parts) out.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"; filename="f"\r\n\r\n`), Buffer.from(p.data), Buffer.from('\r\n'))
  out.push(Buffer.from(`--${BOUNDARY}--\r\n${epilogue}`))
  return Buffer.concat(out)
}

/** `bytes` cut at the given points, as a stream of chunks. */
async function* chunks(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0
  for (const c of [...new Set(cuts.map((x) => x % (bytes.length + 1)))].sort((a, b) => a - b)) {
    yield bytes.subarray(at, c)
    at = c
  }
  yield bytes.subarray(at)
}

async function parse(stream: AsyncIterable<Buffer>): Promise<Array<{ name: string; data: Buffer }>> {
  const parts: Array<{ name: string; data: Buffer[] }> = []
  await readMultipart(stream, BOUNDARY, (name) => {
    const part = { name, data: [] as Buffer[] }
    parts.push(part)
    return { write: (c) => void part.data.push(Buffer.from(c)) }
  })
  return parts.map((p) => ({ name: p.name, data: Buffer.concat(p.data) }))
}

// Part contents that look like the delimiter's pieces are the interesting ones. A client picks a
// boundary that its contents do not contain, so contents with the whole delimiter are left out.
const tricky = fc.array(fc.constantFrom('\r', '\n', '\r\n', '-', '--', `--${BOUNDARY}`, `\r\n--${BOUNDARY.slice(0, 10)}`, 'a', '\0', 'é'), { maxLength: 12 }).map((xs) => Buffer.from(xs.join('')))
const data = fc.oneof(tricky, fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))).filter((b) => !b.includes(`\r\n--${BOUNDARY}`))

describe('readMultipart', () => {
  it('delivers every part whole, however the body is split', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ name: fc.constantFrom('artifact', 'wasm', 'x'), data }), { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), fc.constantFrom('', 'preamble\r\n'), async (parts, cuts, preamble) => {
        const body = encode(parts, preamble, 'epilogue')
        expect(await parse(chunks(body, cuts))).toEqual(parts.map((p) => ({ name: p.name, data: Buffer.from(p.data) })))
      }),
      { numRuns: 300 },
    )
  })

  it('refuses a mangled body with BAD_REQUEST, never another error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ name: fc.constantFrom('artifact', 'wasm'), data }), { minLength: 1, maxLength: 3 }), fc.nat(), fc.nat(), fc.uint8Array({ maxLength: 4 }), async (parts, at, len, junk) => {
        const body = encode(parts)
        const i = at % body.length
        const mangled = Buffer.concat([body.subarray(0, i), Buffer.from(junk), body.subarray(Math.min(body.length, i + (len % 8)))])
        await parse(chunks(mangled, [i])).catch((err) => {
          expect(err).toBeInstanceOf(JaegisError)
          expect((err as JaegisError).code).toBe('BAD_REQUEST')
        })
      }),
      { numRuns: 300 },
    )
  })

  it('reads the boundary from the Content-Type', () => {
    expect(multipartBoundary(`multipart/form-data; boundary=${BOUNDARY}`)).toBe(BOUNDARY)
    expect(multipartBoundary('multipart/form-data; boundary="a b"')).toBe('a b')
    expect(multipartBoundary('Multipart/Form-Data;charset=utf-8; BOUNDARY=x')).toBe('x')
    expect(multipartBoundary('multipart/form-data')).toBeUndefined()
    expect(multipartBoundary('multipart/form-dataX; boundary=x')).toBeUndefined()
    expect(multipartBoundary('application/json; boundary=x')).toBeUndefined()
  })
})
