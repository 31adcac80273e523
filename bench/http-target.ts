// A server for bench:http, run as its own process: `jaegis [workers]` (jaegis serve with hello
// deployed) or `bare [workers]` (node:http answering the bytes hello answers; with workers, under
// node:cluster). Prints "listening <port>" when ready.
import cluster from 'node:cluster'
import { createServer } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readArtifact } from '@jaegis/runtime'
import { startServer } from '@jaegis/server'
import { projectRoot } from './util.js'

const kind = process.argv[2]
const workers = Number(process.argv[3] ?? 1)
if (kind === 'jaegis') {
  const hello = await readArtifact(join(projectRoot(), 'build', 'functions', 'hello'))
  const server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-bench-')), token: 'bench', deployOnStart: [hello], workers })
  process.stdout.write(`listening ${server.port}\n`)
  process.on('SIGTERM', () => void server.close(1000).then(() => process.exit(0)))
} else if (kind === 'bare' && workers > 1 && cluster.isPrimary) {
  // The same port for every worker: the primary learns it from the first. The same connection
  // scheduling as jaegis serve's (server/cluster/primary.ts): workers accept themselves.
  if (process.env.NODE_CLUSTER_SCHED_POLICY === undefined) cluster.schedulingPolicy = cluster.SCHED_NONE
  for (let i = 0; i < workers; i++) cluster.fork()
  let reported = false
  cluster.on('message', (_w, msg: { port?: number }) => {
    if (msg.port && !reported) {
      reported = true
      process.stdout.write(`listening ${msg.port}\n`)
    }
  })
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM')
    process.exit(0)
  })
} else if (kind === 'bare') {
  const body = Buffer.from('Hello, world!\n')
  const server = createServer({ keepAlive: true }, (req, res) => {
    req.resume()
    res.writeHead(200, ['content-type', 'text/plain; charset=utf-8', 'content-length', String(body.length)])
    res.end(body)
  })
  server.keepAliveTimeout = 5_000
  server.listen(0, '127.0.0.1', () => {
    const port = (server.address() as { port: number }).port
    if (cluster.isWorker) process.send!({ port })
    else process.stdout.write(`listening ${port}\n`)
  })
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
} else {
  process.stderr.write('usage: http-target.js jaegis|bare\n')
  process.exit(2)
}
