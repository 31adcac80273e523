// A streaming multipart/form-data reader (RFC 7578): parts are handed over chunk by chunk as they
// arrive, so an upload is never held whole in memory. What to do with a part's bytes is the caller's.
import { JaegisError } from '@jaegis/runtime'

/** Receives one part's bytes; resolving `write` is what lets the reader take the next chunk (backpressure). */
export interface PartSink {
  write(chunk: Buffer): void | Promise<void>
}

/** Picks a sink for a part from its form field name (and file name); undefined skips the part. */
export type PartRouter = (name: string, filename: string | undefined) => PartSink | undefined

/** Longest header block of one part. */
const MAX_PART_HEAD_BYTES = 8 * 1024

const malformed = (why: string) => new JaegisError('BAD_REQUEST', `malformed multipart upload: ${why}`)

/** The boundary of a multipart/form-data Content-Type, or undefined. */
export function multipartBoundary(contentType: string): string | undefined {
  if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType)
  return m ? (m[1] ?? m[2]) : undefined
}

/** Reads `body` to its end, routing each part's bytes. Rejects with BAD_REQUEST on a malformed or truncated body. */
export async function readMultipart(body: AsyncIterable<Buffer>, boundary: string, route: PartRouter): Promise<void> {
  // The body is read as if it started with CRLF, so that every delimiter, the first included, is CRLF "--" boundary.
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  let buf: Buffer = Buffer.from('\r\n')
  let state: 'body' | 'after-delimiter' | 'head' | 'done' = 'body'
  let sink: PartSink | undefined // undefined in the preamble and in skipped parts
  for await (const chunk of body) {
    if (state === 'done') continue // the epilogue is ignored
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    for (;;) {
      if (state === 'body') {
        const at = buf.indexOf(delimiter)
        // Bytes that cannot be the start of a delimiter belong to the part.
        const safe = at >= 0 ? at : Math.max(0, buf.length - delimiter.length + 1)
        if (safe > 0 && sink) await sink.write(buf.subarray(0, safe))
        buf = buf.subarray(safe)
        if (at < 0) break
        buf = buf.subarray(delimiter.length)
        state = 'after-delimiter'
      } else if (state === 'after-delimiter') {
        if (buf.length < 2) break
        const two = buf.subarray(0, 2).toString('latin1')
        if (two === '--') {
          state = 'done'
          buf = Buffer.alloc(0)
          break
        }
        // Transport padding (spaces, tabs) may follow a delimiter before its CRLF.
        const eol = buf.indexOf('\r\n')
        if (eol < 0) {
          if (buf.length > 256) throw malformed('a boundary line does not end')
          break
        }
        if (!/^[ \t]*$/.test(buf.subarray(0, eol).toString('latin1'))) throw malformed('unexpected bytes after a boundary')
        buf = buf.subarray(eol + 2)
        state = 'head'
      } else if (state === 'head') {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) {
          if (buf.length > MAX_PART_HEAD_BYTES) throw malformed(`a part's headers are over ${MAX_PART_HEAD_BYTES} bytes`)
          break
        }
        const disposition = buf.subarray(0, end).toString('utf8').split('\r\n').find((l) => /^content-disposition\s*:/i.test(l))
        const name = disposition && /;\s*name="([^"]*)"/i.exec(disposition)?.[1]
        if (name === undefined || name === '') throw malformed('a part has no Content-Disposition name')
        sink = route(name, disposition ? /;\s*filename="([^"]*)"/i.exec(disposition)?.[1] : undefined)
        buf = buf.subarray(end + 4)
        state = 'body'
      } else break
    }
  }
  if (state !== 'done') throw malformed('the body ended before the closing boundary')
}
