// jaegis new <name>: scaffolds an AssemblyScript function with its manifest and a test.
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, resolve } from 'node:path'
import { scaffoldJsFunction, type JsStyle } from '@jaegis/compiler'
import { UsageError, type Command } from '../command.js'
import { checkoutRoot, cliPackageDir, cliVersion } from '../root.js'
import { GLOBAL_USAGE, parse, serverUrl } from '../options.js'
import { isFunctionName } from '@jaegis/artifact'


export const command: Command = {
  name: 'new',
  summary: 'create a new function folder (AssemblyScript, manifest, test)',
  usage: `Usage: jaegis new <name> [--dir <path>]

Creates <name>/ with jaegis.toml, assembly/index.ts and a test, ready for \`jaegis deploy <name>\`.

Options:
  --dir <path>     where to create it (default: ./<name>)
  --lang <lang>    assemblyscript (default) or js (a wasi:http component built with componentize-js)
  --style <style>  for js: incoming-handler (default, serves many requests per instance) or fetch-event
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { dir: { type: 'string' }, lang: { type: 'string', default: 'assemblyscript' }, style: { type: 'string' } })
    const name = positionals[0]
    if (!name) throw new UsageError('missing the function name')
    if (!isFunctionName(name)) throw new UsageError(`"${name}" is not a valid function name: start with a lower-case letter, then a-z, 0-9 or "-"`)
    if (!['assemblyscript', 'as', 'js', 'javascript'].includes(values.lang!)) throw new UsageError(`unknown --lang ${values.lang} (supported: assemblyscript, js)`)
    const dir = resolve(ctx.cwd, values.dir ?? name)
    if (existsSync(dir)) throw new UsageError(`${dir} already exists`)
    if (values.lang === 'js' || values.lang === 'javascript') {
      if (values.style !== undefined && values.style !== 'incoming-handler' && values.style !== 'fetch-event') throw new UsageError(`unknown --style ${values.style} (incoming-handler or fetch-event)`)
      const made = await scaffoldJsFunction(dirname(dir), basename(dir), { ...(values.style ? { style: values.style as JsStyle } : {}) })
      const rel = relative(ctx.cwd, made.dir) || '.'
      if (values.json) ctx.out(JSON.stringify({ name, dir: made.dir, files: made.files }) + '\n')
      else ctx.out(`Created ${rel}/ (${made.files.join(', ')})\n\nNext:\n  jaegis deploy ${rel}\n  curl ${serverUrl(values, ctx)}/fn/${name}\n`)
      return 0
    }
    const files = scaffold(name)
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(join(dir, file)), { recursive: true })
      await writeFile(join(dir, file), text)
    }
    const rel = relative(ctx.cwd, dir) || '.'
    if (values.json) ctx.out(JSON.stringify({ name, dir, files: Object.keys(files) }) + '\n')
    else ctx.out(`Created ${rel}/ (${Object.keys(files).join(', ')})\n\nNext:\n  jaegis deploy ${rel}\n  curl ${serverUrl(values, ctx)}/fn/${name}\n  cd ${rel} && npm install && npm test\n`)
    return 0
  },
}

/**
 * What the scaffold's package.json depends on to build and test the function: the `jaegis` package
 * from the registry, or, when this CLI runs from a source checkout (nothing is published from it),
 * every workspace package by path, so that `npm install` finds `@jaegis/*` without the registry.
 */
function scaffoldDependencies(): Record<string, string> {
  const root = checkoutRoot()
  if (!root) return { jaegis: cliVersion() }
  const deps: Record<string, string> = { jaegis: `file:${cliPackageDir()}` }
  // Every other workspace of the checkout (the CLI depends on all of them, directly or not).
  for (const dir of JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces as string[]) {
    const pkg = join(root, dir, 'package.json')
    const name = existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).name : undefined
    if (name && name !== 'jaegis') deps[name] = `file:${join(root, dir)}`
  }
  return deps
}

export function scaffold(name: string): Record<string, string> {
  return {
    'jaegis.toml': `# ${name}: a Jaegis function. Reference: docs/functions.md#the-manifest (in the jaegis package)
name = "${name}"

[limits]
memory_mib = 16      # linear memory ceiling
timeout_ms = 1000    # per invocation
body_bytes = 1048576 # largest request body

[pool]
min_warm = 1         # instances kept ready
max_warm = 8

[env]
GREETING = "Hello"
`,
    'assembly/index.ts': `// ${name}: answers GET /fn/${name}?name=you and echoes JSON bodies.
import { Request, Response, JSONValue, getEnv, log } from "jaegis/sdk";

export function handle(req: Request): Response {
  if (req.method == "POST") {
    const body = req.json();
    if (body == null) return Response.text("body must be JSON\\n", 400);
    return Response.json(JSONValue.object().set("received", body));
  }
  const who = req.param("name");
  const greeting = getEnv("GREETING");
  log.info("greeting " + (who != null ? who : "world"));
  return Response.text((greeting != null ? greeting : "Hello") + ", " + (who != null ? who : "world") + "!\\n");
}
`,
    'test/handler.test.mjs': `// Builds the function and invokes it in-process, as \`jaegis serve\` would.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { build } from 'jaegis/compiler'
import { createRuntime } from 'jaegis/runtime'

const dir = fileURLToPath(new URL('..', import.meta.url))
const { artifact } = await build(dir)
const runtime = createRuntime()
runtime.load(artifact)
const text = (res) => new TextDecoder().decode(res.body)

test('greets by name', () => {
  const res = runtime.invokeSync('${name}', { query: 'name=Ada' })
  assert.equal(res.status, 200)
  assert.equal(text(res), 'Hello, Ada!\\n')
})

test('echoes JSON and rejects what is not', () => {
  assert.deepEqual(JSON.parse(text(runtime.invokeSync('${name}', { method: 'POST', body: '{"a":1}' }))), { received: { a: 1 } })
  assert.equal(runtime.invokeSync('${name}', { method: 'POST', body: 'nope' }).status, 400)
})
`,
    'package.json': JSON.stringify({ name, private: true, type: 'module', scripts: { test: 'node --test test/' }, devDependencies: scaffoldDependencies() }, null, 2) + '\n',
    '.gitignore': 'build/\nnode_modules/\n',
  }
}
