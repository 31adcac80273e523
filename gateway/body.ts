// Reads a request body up to a byte limit; past it, fails fast with BODY_TOO_LARGE and stops reading.
// A client that goes away mid-body fails it with ClientGoneError (a client event, never logged).
import type { IncomingMessage } from 'node:http'
import { JaegisError } from '@jaegis/runtime'
import { ClientGoneError } from './errors.js'

const EMPTY = new Uint8Array(0)

/** The whole body as bytes. Rejects early on a Content-Length over `limitBytes`. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<Uint8Array> {
  const declared = req.headers['content-length']
  if (declared !== undefined && Number(declared) > limitBytes) {
    req.resume()
    return Promise.reject(tooLarge(Number(declared), limitBytes))
  }
  if (declared === '0' || (declared === undefined && req.headers['transfer-encoding'] === undefined)) {
    req.resume()
    return Promise.resolve(EMPTY)
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > limitBytes) {
        req.removeAllListeners('data')
        req.resume()
        reject(tooLarge(size, limitBytes))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)))
    req.on('error', (err) => reject(clientGone(req, err) ? new ClientGoneError(err) : err))
    // Closed before 'end' without an error event: the client went away (the promise settles once).
    req.on('close', () => {
      if (!req.complete) reject(new ClientGoneError())
    })
  })
}

/** Whether `err` on `req` means the client closed or reset the connection mid-request. */
export function clientGone(req: IncomingMessage, err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code
  return req.readableAborted || code === 'ECONNRESET' || code === 'ECONNABORTED' || code === 'EPIPE'
}

function tooLarge(size: number, limit: number): JaegisError {
  return new JaegisError('BODY_TOO_LARGE', `request body of ${size} bytes or more is over the function's limit of ${limit} bytes`)
}
