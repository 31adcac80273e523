// JavaScript functions: scaffold a folder, and turn its source into a wasi:http component with
// componentize-js (SpiderMonkey, pre-initialized by Wizer). That takes ~30 s, so results are cached
// by a hash of everything that goes in (source, WIT, componentize-js version).
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FUNCTION_NAME_RULE, isFunctionName } from '@jaegis/artifact'
import { JaegisError } from '@jaegis/runtime'

/**
 * WASI version JavaScript functions target: componentize-js 0.23's engine imports and exports
 * wasi:*@0.2.10, while jco 1.35 bundles the 0.2.12 WIT; the 0.2.x interfaces are identical, so the
 * 0.2.12 files are rewritten to 0.2.10 (a 0.2.12 world makes fetch-event builds fail). The host binds any 0.2.x.
 */
export const WASI_WIT_VERSION = '0.2.10'
const JCO_WIT_VERSION = '0.2.12'
const WIT_PACKAGES = ['cli', 'clocks', 'filesystem', 'http', 'io', 'random', 'sockets']

/** How a JavaScript function answers requests. */
export type JsStyle = 'incoming-handler' | 'fetch-event'

/** Which style a source uses: exporting `incomingHandler` is the fast one (one instance serves many requests). */
export function detectJsStyle(source: string): JsStyle {
  return /export\s+(const|let|var|function)\s+incomingHandler\b|export\s*\{[^}]*\bincomingHandler\b/.test(source) ? 'incoming-handler' : 'fetch-event'
}

function jcoWitDir(): string {
  const api = fileURLToPath(import.meta.resolve('@bytecodealliance/jco'))
  const dir = join(dirname(api), '..', 'lib', 'wit', 'builtin', JCO_WIT_VERSION)
  if (!existsSync(dir)) throw new JaegisError('COMPILE_FAILED', `WASI ${JCO_WIT_VERSION} WIT files not found at ${dir}: is @bytecodealliance/jco 1.35 installed?`)
  return dir
}

/** The world JavaScript functions target: wasi:http/proxy plus the environment and (read-only) preopens. */
export const HANDLER_WORLD = `package jaegis:function;

world handler {
  include wasi:http/proxy@${WASI_WIT_VERSION};
  import wasi:cli/environment@${WASI_WIT_VERSION};
  import wasi:filesystem/preopens@${WASI_WIT_VERSION};
}
`

/** Writes a WIT folder with world `jaegis:function/handler` (exports wasi:http/incoming-handler). */
export async function writeHandlerWit(dir: string): Promise<string> {
  const src = jcoWitDir()
  for (const p of WIT_PACKAGES) {
    await mkdir(join(dir, 'deps', p), { recursive: true })
    const wit = await readFile(join(src, `wasi-${p}`, 'package.wit'), 'utf8')
    await writeFile(join(dir, 'deps', p, 'package.wit'), wit.replaceAll(`@${JCO_WIT_VERSION}`, `@${WASI_WIT_VERSION}`))
  }
  await writeFile(join(dir, 'world.wit'), HANDLER_WORLD)
  return dir
}

const INCOMING_HANDLER_SOURCE = `// A Jaegis function in JavaScript. It exports wasi:http's incoming handler itself, so one
// instance answers many requests (state in module variables lives on between them).
import { Fields, OutgoingBody, OutgoingResponse, ResponseOutparam } from 'wasi:http/types@${WASI_WIT_VERSION}';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Your code: a plain request in, a plain response out. */
function handle({ method, path, query, headers, body }) {
  const name = new URLSearchParams(query).get('name') ?? 'world';
  return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: \`Hello, \${name}!\\n\` };
}

function readBody(request) {
  const incoming = request.consume();
  const stream = incoming.stream();
  const chunks = [];
  for (;;) {
    let chunk;
    try {
      chunk = stream.blockingRead(65536n);
    } catch (e) {
      if ((e.payload ?? e).tag === 'closed') break;
      throw e;
    }
    chunks.push(chunk);
  }
  stream[Symbol.dispose]();
  incoming[Symbol.dispose]();
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) (bytes.set(c, at), (at += c.length));
  return decoder.decode(bytes);
}

export const incomingHandler = {
  handle(request, responseOut) {
    const [path, query = ''] = (request.pathWithQuery() ?? '/').split('?');
    const requestHeaders = request.headers();
    const headers = Object.fromEntries(requestHeaders.entries().map(([k, v]) => [k, decoder.decode(v)]));
    const method = request.method().tag.toUpperCase();
    const requestBody = method === 'GET' || method === 'HEAD' ? '' : readBody(request);
    // Resources the handler was given stay in the host's tables until they are dropped: drop them
    // (children first), or every request leaves its request object behind.
    requestHeaders[Symbol.dispose]();
    request[Symbol.dispose]();
    const res = handle({ method, path, query, headers, body: requestBody });
    const fields = new Fields();
    for (const [k, v] of Object.entries(res.headers ?? {})) fields.append(k, encoder.encode(v));
    const response = new OutgoingResponse(fields);
    response.setStatusCode(res.status ?? 200);
    const body = response.body();
    ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
    const out = body.write();
    out.blockingWriteAndFlush(typeof res.body === 'string' ? encoder.encode(res.body) : (res.body ?? new Uint8Array()));
    out[Symbol.dispose]();
    OutgoingBody.finish(body, undefined);
  },
};
`

const FETCH_EVENT_SOURCE = `// A Jaegis function in JavaScript, fetch-event style (like a Service Worker). Simple to write, but the
// engine cannot answer two requests on one instance: every request needs a fresh instance. The
// incomingHandler style (jaegis new --lang js) is about 25x faster; see docs/components.md.
addEventListener('fetch', (event) => event.respondWith(handle(event.request)));

async function handle(request) {
  const url = new URL(request.url);
  const name = url.searchParams.get('name') ?? 'world';
  return new Response(\`Hello, \${name}!\\n\`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
`

export interface ScaffoldOptions {
  /** @default "incoming-handler" */
  style?: JsStyle
}

/** Creates `<dir>/<name>` with jaegis.toml and src/index.js. Refuses to overwrite an existing folder. */
export async function scaffoldJsFunction(dir: string, name: string, options: ScaffoldOptions = {}): Promise<{ dir: string; files: string[] }> {
  if (!isFunctionName(name)) throw new JaegisError('INVALID_MANIFEST', `function name "${name}" ${FUNCTION_NAME_RULE}`)
  const root = resolve(dir, name)
  if (existsSync(root)) throw new JaegisError('INVALID_MANIFEST', `${root} already exists`)
  const style = options.style ?? 'incoming-handler'
  await mkdir(join(root, 'src'), { recursive: true })
  const toml = [
    `# ${name}: a Jaegis function in JavaScript. Reference: docs/components.md#manifest-fields-besides-the-shared-ones and docs/functions.md#the-manifest (in the jaegis package)`,
    `name = "${name}"`,
    'language = "js"',
    'entry = "src/index.js"',
    '# Outbound HTTP is denied unless the host is listed, e.g. ["https://api.example.com"].',
    'allowed_outbound_hosts = []',
    '',
    '[limits]',
    'memory_mib = 128',
    'timeout_ms = 5000',
    '',
    '[pool]',
    'min_warm = 1',
    'max_warm = 8',
    '',
    ...(style === 'incoming-handler' ? ['[instance]', '# One instance answers many requests: module state lives on between them.', 'reuse = true', ''] : []),
  ].join('\n')
  await writeFile(join(root, 'jaegis.toml'), toml)
  await writeFile(join(root, 'src', 'index.js'), style === 'incoming-handler' ? INCOMING_HANDLER_SOURCE : FETCH_EVENT_SOURCE)
  await writeFile(join(root, '.gitignore'), 'build/\n')
  return { dir: root, files: ['jaegis.toml', 'src/index.js', '.gitignore'] }
}

export interface ComponentizeOptions {
  /** Folder for cached components. @default "<os tmpdir>/jaegis-componentize-cache"; null disables the cache */
  cacheDir?: string | null
}

function componentizeVersion(): string {
  const pkg = join(dirname(fileURLToPath(import.meta.resolve('@bytecodealliance/componentize-js'))), '..', 'package.json')
  return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
}

/** Hash of every .js/.mjs/.json file under `dir` (skipping build/ and node_modules/). */
function hashSources(dir: string, h: ReturnType<typeof createHash>, base = dir): void {
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name === 'build' || e.name === 'node_modules' || e.name.startsWith('.')) continue
    const p = join(dir, e.name)
    if (e.isDirectory()) hashSources(p, h, base)
    else if (/\.(m?js|json)$/.test(e.name) && statSync(p).size < 16 * 1024 * 1024) h.update(relative(base, p)).update('\0').update(readFileSync(p)).update('\0')
  }
}

/** Builds `entry` (inside `dir`) into a wasi:http component. Returns the bytes and the detected style. */
export async function componentizeJs(dir: string, entry: string, options: ComponentizeOptions = {}): Promise<{ component: Uint8Array; style: JsStyle; cached: boolean; buildMs: number }> {
  const t0 = performance.now()
  const root = resolve(dir)
  const sourcePath = resolve(root, entry)
  if (!existsSync(sourcePath)) throw new JaegisError('COMPILE_FAILED', `entry file ${entry} not found in ${root}`)
  const style = detectJsStyle(readFileSync(sourcePath, 'utf8'))
  const h = createHash('sha256').update(`componentize-js ${componentizeVersion()} entry ${entry}\0${HANDLER_WORLD}\0`)
  hashSources(root, h)
  const key = h.digest('hex')
  const cacheDir = options.cacheDir === null ? undefined : (options.cacheDir ?? join(tmpdir(), 'jaegis-componentize-cache'))
  const cacheFile = cacheDir ? join(cacheDir, `${key}.wasm`) : undefined
  if (cacheFile && existsSync(cacheFile)) return { component: await readFile(cacheFile), style, cached: true, buildMs: performance.now() - t0 }

  const work = await mkdtemp(join(tmpdir(), 'jaegis-wit-'))
  try {
    const witDir = await writeHandlerWit(join(work, 'wit'))
    // preview2-shim (which runs the splicer) grants no filesystem access by default: open the WIT folder.
    const { _addPreopen } = (await import('@bytecodealliance/preview2-shim/filesystem')) as unknown as { _addPreopen(guest: string, host: string): void }
    _addPreopen(witDir, witDir)
    _addPreopen(root, root)
    const { componentize } = await import('@bytecodealliance/componentize-js')
    let component: Uint8Array
    try {
      ;({ component } = await componentize({ sourcePath, witPath: witDir, worldName: 'handler' }))
    } catch (err) {
      throw new JaegisError('COMPILE_FAILED', `componentize-js failed for ${entry}: ${(err as Error).message}`, { cause: err })
    }
    if (cacheFile) {
      await mkdir(cacheDir!, { recursive: true })
      const tmp = `${cacheFile}.${process.pid}.tmp`
      await writeFile(tmp, component)
      const { rename } = await import('node:fs/promises')
      await rename(tmp, cacheFile)
    }
    return { component, style, cached: false, buildMs: performance.now() - t0 }
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}
