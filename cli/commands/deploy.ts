// jaegis deploy [dir]: build (or take a built artifact folder), upload, print the URL.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { buildAnyFunction } from '../../compiler/index.js'
import { ARTIFACT_META_FILE, ARTIFACT_WASM_FILE } from '../../runtime/index.js'
import { UsageError, type Command } from '../command.js'
import { ApiClient } from '../client.js'
import { GLOBAL_USAGE, SIGN_KEY_OPTION, SIGN_KEY_USAGE, adminToken, parse, serverUrl, signingKey } from '../options.js'
import { spinner } from '../spinner.js'

export const command: Command = {
  name: 'deploy',
  summary: 'build a function and deploy it to a server',
  usage: `Usage: jaegis deploy [dir] [--sign-key <file>]

Builds the function in <dir> (default .) and uploads it; or uploads <dir> as is when it is an
artifact folder (artifact.json + module.wasm, with its signature if jaegis build signed it).
The new version warms up before it takes traffic.

Options:
${SIGN_KEY_USAGE} (when building)
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { ...SIGN_KEY_OPTION })
    const dir = resolve(ctx.cwd, positionals[0] ?? '.')
    const spin = spinner(`deploying ${dir}`, ctx.isTTY && !values.json)
    try {
      let artifactDir = dir
      if (!existsSync(join(dir, ARTIFACT_META_FILE))) {
        const key = signingKey(values, ctx)
        artifactDir = (await buildAnyFunction(dir, key ? { signingKey: key } : {})).outDir
      } else if (values['sign-key'] !== undefined) throw new UsageError(`${dir} is a built artifact folder: sign it when building (jaegis build --sign-key)`)
      const form = new FormData()
      form.set('artifact', new Blob([await readFile(join(artifactDir, ARTIFACT_META_FILE))], { type: 'application/json' }), ARTIFACT_META_FILE)
      form.set('wasm', new Blob([await readFile(join(artifactDir, ARTIFACT_WASM_FILE))], { type: 'application/wasm' }), ARTIFACT_WASM_FILE)
      const client = new ApiClient(serverUrl(values, ctx), adminToken(values, ctx))
      const r = await client.request<{ name: string; version: number; digest: string; url: string; changed: boolean; key?: string }>('POST', '/_api/v1/functions', form)
      spin.stop()
      if (values.json) ctx.out(JSON.stringify(r) + '\n')
      else {
        ctx.out(`${r.changed ? 'deployed' : 'unchanged'} ${r.name} v${r.version} (${r.digest.slice(0, 12)})\n${r.url}\n`)
        if (r.key) ctx.out(`invocation key (send as x-jaegis-key): ${r.key}\n`)
      }
      return 0
    } catch (err) {
      spin.stop()
      throw err
    }
  },
}
