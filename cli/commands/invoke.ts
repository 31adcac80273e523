// jaegis invoke <name>: one HTTP request to /fn/<name>, body to stdout.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { UsageError, type Command } from '../command.js'
import { ApiClient, errorFrom } from '../client.js'
import { GLOBAL_USAGE, adminToken, parse, serverUrl } from '../options.js'

export const command: Command = {
  name: 'invoke',
  summary: 'invoke a deployed function over HTTP',
  usage: `Usage: jaegis invoke <name> [-d <data> | -d @<file>] [-X <method>] [-H 'name: value']... [--path /sub/path] [--key <key>]

Sends one request to <url>/fn/<name><path> and prints the response body. Exits 1 on an error status.
  -d, --data <data>    request body; @file reads it from a file (implies POST)
  -X, --method <m>     HTTP method (default GET, or POST with -d)
  -H, --header <h>     extra header, repeatable
  --path <path>        path below the function (default /)
  --key <key>          the function's invocation key, when its manifest requires one
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, {
      data: { type: 'string', short: 'd' },
      method: { type: 'string', short: 'X' },
      header: { type: 'string', short: 'H', multiple: true },
      path: { type: 'string', default: '/' },
      key: { type: 'string' },
    })
    const name = positionals[0]
    if (!name) throw new UsageError('missing the function name')
    const headers: Record<string, string> = {}
    for (const h of values.header ?? []) {
      const i = h.indexOf(':')
      if (i <= 0) throw new UsageError(`header "${h}" must look like "name: value"`)
      headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim()
    }
    if (values.key) headers['x-jaegis-key'] = values.key
    let body: Uint8Array | undefined
    if (values.data !== undefined) body = values.data.startsWith('@') ? await readFile(resolve(ctx.cwd, values.data.slice(1))) : new TextEncoder().encode(values.data)
    const method = (values.method ?? (body ? 'POST' : 'GET')).toUpperCase()
    const path = values.path!.startsWith('/') ? values.path! : `/${values.path}`
    const client = new ApiClient(serverUrl(values, ctx), adminToken(values, ctx))
    const res = await client.raw(method, `/fn/${encodeURIComponent(name)}${path === '/' ? '' : path}`, body as BodyInit | undefined, headers)
    const bytes = new Uint8Array(await res.arrayBuffer())
    const text = new TextDecoder().decode(bytes)
    if (values.json) {
      ctx.out(JSON.stringify({ status: res.status, headers: Object.fromEntries(res.headers), body: text }) + '\n')
      return res.ok ? 0 : 1
    }
    if (!res.ok) {
      let data: unknown
      try {
        data = JSON.parse(text)
      } catch {
        data = { error: { message: `HTTP ${res.status}: ${text.slice(0, 500)}` } }
      }
      throw errorFrom(res.status, data)
    }
    ctx.out(text.endsWith('\n') || text === '' ? text : text + '\n')
    return 0
  },
}
