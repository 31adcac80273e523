// A `jaegis serve` for bench:isolation, run as its own process: hello, quantum and the artifacts
// named on the command line deployed at start. Prints "listening <port>" when ready.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readArtifact } from '../runtime/index.js'
import { startServer } from '../server/index.js'
import { projectRoot } from './util.js'

const examples = ['hello', 'quantum'].map((n) => join(projectRoot(), 'build', 'functions', n))
const artifacts = await Promise.all([...examples, ...process.argv.slice(2)].map((dir) => readArtifact(dir)))
const server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-isolation-')), token: 'bench', deployOnStart: artifacts, autoscale: false })
process.stdout.write(`listening ${server.port}\n`)
process.on('SIGTERM', () => void server.close(1000).then(() => process.exit(0)))
