// A `jaegis serve` for bench:isolation, run as its own process: hello, quantum and the artifacts
// named on the command line deployed at start. Prints "listening <port>" when ready.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readArtifact } from '@jaegis/runtime'
import { startServer } from '@jaegis/server'
import { projectRoot } from './util.js'

const examples = ['hello', 'quantum'].map((n) => join(projectRoot(), 'build', 'functions', n))
const artifacts = await Promise.all([...examples, ...process.argv.slice(2)].map((dir) => readArtifact(dir)))
const server = await startServer({ port: 0, dataDir: mkdtempSync(join(tmpdir(), 'jaegis-isolation-')), token: 'bench', deployOnStart: artifacts, autoscale: false, ...(process.env.BENCH_MIN_LANES ? { lanes: { minLanes: Number(process.env.BENCH_MIN_LANES) } } : {}) })
process.stdout.write(`listening ${server.port}\n`)
// BENCH_VERBOSE: how long the gateway thread's event loop was held, reported at exit.
const { monitorEventLoopDelay } = await import('node:perf_hooks')
const loop = monitorEventLoopDelay({ resolution: 1 })
if (process.env.BENCH_VERBOSE) loop.enable()
process.on('SIGTERM', () => {
  if (process.env.BENCH_VERBOSE) process.stderr.write(`gateway event loop delay: p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms; lanes ${JSON.stringify(server.runtime.laneStats())}\n`)
  void server.close(1000).then(() => process.exit(0))
})
