// Raw HTTP/1.1 over a socket for tests: send exact bytes, split responses as they arrive.
import { connect } from 'node:net'

export interface Parsed {
  status: number
  headers: Array<[string, string]>
  body: string
}

export interface ExchangeOptions {
  /** Pause between writes. */
  gapMs?: number
  /** Request methods in order (HEAD responses have no body). */
  methods?: string[]
  /** Stop once this many responses arrived. */
  until?: number
  /** Do not read for this long at first. */
  readDelayMs?: number
  /** Half-close after the last write. */
  end?: boolean
}

/** Sends `parts` to 127.0.0.1:`port` (each written after `gapMs`) and reads until the server closes or `until` responses arrived. */
export function rawExchange(port: number, parts: Array<string | Buffer>, options: ExchangeOptions = {}): Promise<{ responses: Parsed[]; raw: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const reader = new ResponseReader(options.methods ?? [])
    let closed = false
    let done = false
    const finish = () => {
      if (done) return
      done = true
      resolve({ responses: reader.responses, raw: reader.raw.toString('latin1'), closed })
    }
    socket.on('data', (d: Buffer) => {
      reader.push(d)
      if (options.until !== undefined && reader.responses.length >= options.until) {
        socket.destroy()
        finish()
      }
    })
    socket.on('error', reject)
    socket.on('close', () => {
      closed = true
      finish()
    })
    if (options.readDelayMs) {
      socket.pause()
      setTimeout(() => socket.resume(), options.readDelayMs)
    }
    socket.on('connect', async () => {
      for (const p of parts) {
        socket.write(p)
        if (options.gapMs) await new Promise((r) => setTimeout(r, options.gapMs))
      }
      if (options.end) socket.end()
    })
  })
}

/** Splits a byte stream into responses as it arrives (content-length framing; no body for HEAD, 204 and 304). */
export class ResponseReader {
  raw = Buffer.alloc(0)
  readonly responses: Parsed[] = []
  private at = 0
  constructor(private readonly methods: string[]) {}

  push(chunk: Buffer): void {
    this.raw = Buffer.concat([this.raw, chunk])
    for (;;) {
      const end = this.raw.indexOf('\r\n\r\n', this.at)
      if (end < 0) return
      const lines = this.raw.toString('latin1', this.at, end).split('\r\n')
      const status = Number(lines[0]!.split(' ')[1])
      const headers = lines.slice(1).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string])
      const len = this.methods[this.responses.length] === 'HEAD' || status === 204 || status === 304 ? 0 : Number(headers.find(([k]) => k === 'content-length')?.[1] ?? 0)
      if (end + 4 + len > this.raw.length) return
      this.responses.push({ status, headers, body: this.raw.toString('utf8', end + 4, end + 4 + len) })
      this.at = end + 4 + len
    }
  }
}

export const header = (r: Parsed, name: string) => r.headers.find(([k]) => k === name)?.[1]
