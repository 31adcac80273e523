// A server for bench:http, run as its own process: `jaegis` (jaegis serve with hello deployed) or
// `bare` (node:http answering the bytes hello answers). Prints "listening <port>" when ready.
import { createServer } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readArtifact } from '../runtime/index.js'
import { startServer } from '../server/index.js'
import { projectRoot } from './util.js'

const kind = process.argv[2]
if (kind === 'jaegis') {
  const hello = await readArtifact(join(projectRoot(), 'build', 'functions', 'hello'))
  const server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-bench-')), token: 'bench', deployOnStart: [hello] })
  process.stdout.write(`listening ${server.port}\n`)
  process.on('SIGTERM', () => void server.close(1000).then(() => process.exit(0)))
} else if (kind === 'bare') {
  const body = Buffer.from('Hello, world!\n')
  const server = createServer({ keepAlive: true }, (req, res) => {
    req.resume()
    res.writeHead(200, ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)])
    res.end(body)
  })
  server.keepAliveTimeout = 5_000
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`))
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
} else {
  process.stderr.write('usage: http-target.js jaegis|bare\n')
  process.exit(2)
}
