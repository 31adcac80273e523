// jaegis serve: gateway, runtime, admin API and embedded store in this process until SIGTERM.
import { existsSync, readdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { readArtifact } from '@jaegis/runtime'
import { startServer } from '@jaegis/server'
import { parseAllowFiles } from '@jaegis/compiler'
import { UsageError, type Command } from '../command.js'
import { GLOBAL_USAGE, dataDir, parse, signaturePolicy } from '../options.js'
import { checkoutRoot } from '../root.js'

export const command: Command = {
  name: 'serve',
  summary: 'run the platform: HTTP gateway, runtime, admin API, embedded store',
  usage: `Usage: jaegis serve [--port <n>] [--host <addr>] [--examples] [--allow-files <dir>[:rw]]...

  --port <n>     TCP port (default: $PORT, else 8080)
  --host <addr>  address to listen on (default: $HOST, else 127.0.0.1; 0.0.0.0 for every interface)
  --examples     deploy the built example functions (hello, echo, lookup) at start
  --max-inflight <n>  requests in flight before 503, per worker (default 1024)
  --max-upload <size> largest artifact upload, in bytes or with KiB/MiB/GiB (default 64MiB); larger ones get 413
  --workers <n>  gateway processes sharing the port (default: the number of cores; 1 keeps one process)
  --sim-trace <csv>   a trace the dashboard (/_dashboard) offers as the shared trace for its simulator panel
  --allow-files <dir>[:rw]  uploaded functions may map folders inside <dir> (files = [...] in
                      jaegis.toml, --files for jaegis deploy app.wasm), read-only; with :rw also
                      writable. Repeatable. Without it, an upload that maps a folder is refused
  --trust <file|dir>  public keys whose artifact signatures are accepted (a .pub file, a list of
                 such lines, or a folder of .pub files; repeatable); a signature by another key is refused
  --require-signed  refuse unsigned artifacts (needs --trust); a bad signature is refused either way
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values } = parse(argv, { port: { type: 'string' }, host: { type: 'string' }, examples: { type: 'boolean', default: false }, 'max-inflight': { type: 'string' }, 'max-upload': { type: 'string' }, workers: { type: 'string' }, 'sim-trace': { type: 'string' }, 'allow-files': { type: 'string', multiple: true }, trust: { type: 'string', multiple: true }, 'require-signed': { type: 'boolean', default: false } })
    const port = Number(values.port ?? ctx.env.PORT ?? 8080)
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port ${values.port ?? ctx.env.PORT} is not a TCP port`)
    const maxInflight = values['max-inflight'] === undefined ? undefined : Number(values['max-inflight'])
    if (maxInflight !== undefined && (!Number.isInteger(maxInflight) || maxInflight < 1)) throw new UsageError('--max-inflight must be a positive integer')
    const maxUploadBytes = values['max-upload'] === undefined ? undefined : parseSize(values['max-upload'])
    if (maxUploadBytes !== undefined && !(maxUploadBytes >= 1)) throw new UsageError(`--max-upload ${values['max-upload']} is not a size (e.g. 67108864, 64MiB, 512KiB)`)
    const workers = values.workers === undefined ? availableParallelism() : Number(values.workers)
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) throw new UsageError('--workers must be an integer from 1 to 256')
    const allowFiles = (values['allow-files'] ?? []).map((spec) => {
      const a = parseAllowFiles(spec, ctx.cwd)
      if (!existsSync(a.dir)) throw new UsageError(`--allow-files ${spec}: ${a.dir} does not exist`)
      return a
    })
    const signatures = signaturePolicy(values, ctx)
    const examples = values.examples ? await exampleArtifacts() : []
    // A signal during start-up (workers may already serve) is kept and acted on once the server is up.
    let early: string | undefined
    let stop: ((signal: string) => void) | undefined
    process.once('SIGTERM', () => (stop ? stop('SIGTERM') : (early ??= 'SIGTERM')))
    process.once('SIGINT', () => (stop ? stop('SIGINT') : (early ??= 'SIGINT')))
    const server = await startServer({ port, host: values.host ?? ctx.env.HOST ?? '127.0.0.1', dataDir: dataDir(values, ctx), ...(values.token ? { token: values.token } : {}), deployOnStart: examples, ...(maxInflight ? { maxInflight } : {}), ...(maxUploadBytes ? { maxUploadBytes } : {}), workers, signatures, ...(allowFiles.length ? { allowFiles } : {}), ...(values['sim-trace'] ? { dashboard: { simTrace: resolve(ctx.cwd, values['sim-trace']) } } : {}) })
    ctx.out(`jaegis serving on ${server.url} (data: ${dataDir(values, ctx)}, ${server.workers} worker${server.workers === 1 ? '' : 's'})
`)
    ctx.out(`dashboard: ${server.url}/_dashboard/
`)
    if (signatures.trust) ctx.out(`signatures: ${signatures.trust.size} trusted key${signatures.trust.size === 1 ? '' : 's'}; unsigned artifacts ${signatures.requireSigned ? 'refused' : 'accepted'}, bad signatures refused\n`)
    if (server.tokenCreated) ctx.out(`admin token (shown once, saved to ${server.tokenPath} with mode 0600):\n  ${server.token}\n`)
    for (const a of allowFiles) ctx.out(`uploads may map folders inside ${a.dir} (${a.writable ? 'read-write' : 'read-only'})\n`)
    for (const d of server.deployed) ctx.out(`  ${d.name.padEnd(10)} ${d.url}\n`)
    if (examples.length) ctx.out(`try: curl '${server.url}/fn/hello?name=you'\n`)
    await new Promise<void>((done) => {
      stop = (signal: string) => {
        ctx.err(`jaegis: ${signal}, finishing in-flight requests\n`)
        server.close().then(done, done)
      }
      if (early) stop(early)
    })
    return 0
  },
}

/** The example functions `npm run build` produced under build/functions/ of a source checkout. */
async function exampleArtifacts() {
  const root = checkoutRoot()
  if (!root) throw new UsageError('--examples serves the examples of a jaegis source checkout (git clone, then npm start); this installed package has none')
  const dir = join(root, 'build', 'functions')
  if (!existsSync(dir)) throw new UsageError(`no built examples in ${dir}: run npm run build first`)
  return Promise.all(readdirSync(dir).filter((n) => existsSync(join(dir, n, 'artifact.json'))).sort().map((n) => readArtifact(resolve(dir, n))))
}

/** Bytes in "67108864", "64MiB", "512KiB", "1GiB" (binary units; "MB" is read as MiB); NaN otherwise. */
function parseSize(text: string): number {
  const m = /^(\d+)\s*(?:(k|m|g)(?:i?b)?|b)?$/i.exec(text.trim())
  if (!m) return NaN
  const unit = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'g'] ?? 1
  return Number(m[1]) * unit
}
