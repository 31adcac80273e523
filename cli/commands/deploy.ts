// jaegis deploy [dir | app.wasm]: build (or take a built artifact folder, or a bare .wasm with the
// manifest's fields as flags), upload, print the URL.
import { existsSync, statSync } from 'node:fs'
import { readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { buildAnyFunction, buildWasmFile, functionNameFromFile, signArtifactFolder, type ManifestFields } from '@jaegis/compiler'
import { ARTIFACT_META_FILE, ARTIFACT_WASM_FILE } from '@jaegis/runtime'
import type { FileMapping } from '@jaegis/runtime/component'
import { UsageError, type Command } from '../command.js'
import { ApiClient } from '../client.js'
import { GLOBAL_USAGE, SIGN_KEY_OPTION, SIGN_KEY_USAGE, adminToken, parse, serverUrl, signingKey, type Values } from '../options.js'
import { spinner } from '../spinner.js'

/** Flags that stand for manifest fields when deploying a bare .wasm file. */
const WASM_FLAGS = {
  name: { type: 'string' },
  route: { type: 'string' },
  memory: { type: 'string' },
  timeout: { type: 'string' },
  'on-memory-limit': { type: 'string' },
  reuse: { type: 'boolean' },
  arg: { type: 'string', multiple: true },
  'response-file': { type: 'string' },
  env: { type: 'string', multiple: true },
  'allow-outbound': { type: 'string', multiple: true },
  files: { type: 'string', multiple: true },
  'require-key': { type: 'boolean' },
} as const

export const command: Command = {
  name: 'deploy',
  summary: 'build a function (a folder, or a bare .wasm) and deploy it to a server',
  usage: `Usage: jaegis deploy [dir] [--sign-key <file>]
       jaegis deploy <app.wasm> [--name <name>] [--route <path>] [--memory <MiB>] [--timeout <ms>]
                     [--reuse] [--arg <value>]... [--response-file <path>] [--env NAME=VALUE]... [--allow-outbound <url>]...
                     [--files <dir>:<guest path>[:rw]]... [--require-key] [--on-memory-limit <fail|refuse-grow>]

Builds the function in <dir> (default .) and uploads it; or uploads <dir> as is when it is an
artifact folder (artifact.json + module.wasm, with its signature if jaegis build signed it). The new version warms up, and a component or WASI
program answers one trial request (GET /, no outbound hosts, no writable folders), before it
takes traffic: a version that cannot answer is refused with the reason.

A .wasm file (a wasi:http or wasi:cli component, or a WASI command module) deploys without a
folder; the flags say what jaegis.toml would, and are checked by the same rules:
  --name <name>          name (default: from the file name, "Test_App.wasm" -> "test-app")
  --route <path>         extra public route (route)
  --memory <MiB>         memory limit (limits.memory_mib, default 32)
  --timeout <ms>         deadline of one request (limits.timeout_ms, default 5000)
  --on-memory-limit <fail|refuse-grow>  a memory.grow past the limit fails the request (500
                         MEMORY_LIMIT, default) or returns -1 so malloc returns NULL (limits.on_memory_limit)
  --reuse                keep the instance between requests ([instance] reuse)
  --arg <value>          one argument after the program name, repeatable, in order (args);
                         write --arg=-o for a value that starts with "-"
  --response-file <path> answer with this file the program wrote to /tmp, e.g. /tmp/out.wav
                         (response_file; WASI command modules)
  --env NAME=VALUE       environment variable, repeatable ([env])
  --allow-outbound <url> outbound HTTP the function may use, repeatable (allowed_outbound_hosts)
  --files <dir>:<path>[:rw]  map a folder of the server's machine at <path>, repeatable (files); the
                         server must allow it (jaegis serve --allow-files)
  --require-key          invoking needs the function key ([auth] require_key)

Options:
${SIGN_KEY_USAGE} (when building a folder or a .wasm file)
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { ...WASM_FLAGS, ...SIGN_KEY_OPTION })
    const target = resolve(ctx.cwd, positionals[0] ?? '.')
    const isWasm = existsSync(target) && statSync(target).isFile()
    const given = (Object.keys(WASM_FLAGS) as Array<keyof typeof WASM_FLAGS>).filter((k) => values[k] !== undefined)
    if (!isWasm && given.length > 0) throw new UsageError(`--${given[0]} is for a bare .wasm file; for a function folder, set it in jaegis.toml`)
    const spin = spinner(`deploying ${target}`, ctx.isTTY && !values.json)
    try {
      let artifactDir = target
      let temporary: string | undefined
      const key = isWasm || !existsSync(join(target, ARTIFACT_META_FILE)) ? signingKey(values, ctx) : undefined
      if (isWasm) {
        const built = await buildWasmFile(target, manifestFields(target, values), { source: 'jaegis deploy flags', files: fileFlags(values.files ?? [], ctx.cwd) })
        artifactDir = temporary = built.outDir
        if (key) await signArtifactFolder(built.outDir, built.artifact, key)
      } else if (!existsSync(join(target, ARTIFACT_META_FILE))) artifactDir = (await buildAnyFunction(target, key ? { signingKey: key } : {})).outDir
      else if (values['sign-key'] !== undefined) throw new UsageError(`${target} is a built artifact folder: sign it when building (jaegis build --sign-key)`)
      const form = new FormData()
      form.set('artifact', new Blob([await readFile(join(artifactDir, ARTIFACT_META_FILE))], { type: 'application/json' }), ARTIFACT_META_FILE)
      form.set('wasm', new Blob([await readFile(join(artifactDir, ARTIFACT_WASM_FILE))], { type: 'application/wasm' }), ARTIFACT_WASM_FILE)
      if (temporary) await rm(temporary, { recursive: true, force: true }) // the upload holds what it needs
      const client = new ApiClient(serverUrl(values, ctx), adminToken(values, ctx))
      const r = await client.request<{ name: string; version: number; digest: string; url: string; changed: boolean; key?: string; trial?: { status?: number; error?: { code: string; message: string } } }>('POST', '/_api/v1/functions', form)
      spin.stop()
      if (values.json) ctx.out(JSON.stringify(r) + '\n')
      else {
        ctx.out(`${r.changed ? 'deployed' : 'unchanged'} ${r.name} v${r.version} (${r.digest.slice(0, 12)})\n${r.url}\n`)
        if (r.key) ctx.out(`invocation key (send as x-jaegis-key): ${r.key}\n`)
        if (r.trial?.error) ctx.err(`warning: the trial request (GET /) failed with ${r.trial.error.code}: ${r.trial.error.message}\n`)
      }
      return 0
    } catch (err) {
      spin.stop()
      throw err
    }
  },
}

/** The manifest a bare .wasm's flags stand for. Values go through as typed, so the manifest parser's messages apply. */
function manifestFields(file: string, v: Values<typeof WASM_FLAGS>): ManifestFields {
  const int = (s: string | undefined) => (s === undefined ? undefined : /^\d+$/.test(s) ? Number(s) : s)
  const name = v.name ?? functionNameFromFile(file)
  if (!name) throw new UsageError(`no function name can be made from ${file}: pass --name`)
  const limits = { ...(v.memory !== undefined ? { memory_mib: int(v.memory) } : {}), ...(v.timeout !== undefined ? { timeout_ms: int(v.timeout) } : {}), ...(v['on-memory-limit'] !== undefined ? { on_memory_limit: v['on-memory-limit'] } : {}) }
  const env: Record<string, string> = {}
  for (const e of v.env ?? []) {
    const at = e.indexOf('=')
    if (at <= 0) throw new UsageError(`--env ${e}: expected NAME=VALUE`)
    env[e.slice(0, at)] = e.slice(at + 1)
  }
  return {
    name,
    ...(v.route !== undefined ? { route: v.route } : {}),
    ...(v.arg ? { args: v.arg } : {}),
    ...(v['response-file'] !== undefined ? { response_file: v['response-file'] } : {}),
    ...(v['allow-outbound'] ? { allowed_outbound_hosts: v['allow-outbound'] } : {}),
    ...(Object.keys(limits).length ? { limits } : {}),
    ...(Object.keys(env).length ? { env } : {}),
    ...(v.reuse ? { instance: { reuse: true } } : {}),
    ...(v['require-key'] ? { auth: { require_key: true } } : {}),
  }
}

/** --files <dir>:<guest path>[:rw] -> mappings, <dir> made absolute against `cwd` (a path on the server's machine). */
function fileFlags(specs: string[], cwd: string): FileMapping[] {
  return specs.map((f) => {
    const m = /^(.+):(\/[^:]*)(?::(rw|ro))?$/.exec(f)
    if (!m) throw new UsageError(`--files ${f}: expected <dir>:<guest path>[:rw], e.g. ./data:/data`)
    return { host: resolve(cwd, m[1]!), guest: m[2]!, ...(m[3] === 'rw' ? { writable: true } : {}) }
  })
}
