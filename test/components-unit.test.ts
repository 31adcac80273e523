// Unit tests of the component host's parts: the outbound allow-list, CGI parsing, the manifest,
// denied sockets, and artifact checks.
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { cgiEnvironment, checkOutboundRule, outboundAllowed, parseCgiOutput } from '../runtime/component/index.js'
import { wasiImports, type WasiContext } from '../runtime/component/wasi/preview2.js'
import { BufferSink } from '../runtime/component/wasi/io.js'
import { verifyArtifact, ABI_VERSION } from '../runtime/index.js'
import { detectJsStyle, parseComponentManifest } from '../compiler/component/index.js'
import { MANIFEST_FIELDS } from '../artifact/index.js'
import { suggestedMemoryMib, trialArtifact, trialRefusal } from '../runtime/trial.js'
import { testConfig, text } from './components-helpers.js'

const enc = new TextEncoder()

describe('allowed_outbound_hosts', () => {
  const allowed = (url: string, list: string[]) => outboundAllowed(new URL(url), list)
  it('matches scheme, host and default port', () => {
    expect(allowed('https://api.example.com/x', ['https://api.example.com'])).toBe(true)
    expect(allowed('https://api.example.com:8443/x', ['https://api.example.com'])).toBe(false)
    expect(allowed('http://api.example.com/x', ['https://api.example.com'])).toBe(false)
    expect(allowed('https://evil.com/x', ['https://api.example.com'])).toBe(false)
    expect(allowed('https://api.example.com/', [])).toBe(false)
  })
  it('supports wildcards for subdomains, ports, schemes and hosts, and port ranges', () => {
    expect(allowed('https://a.example.com/', ['https://*.example.com'])).toBe(true)
    expect(allowed('https://example.com/', ['https://*.example.com'])).toBe(false)
    expect(allowed('http://127.0.0.1:5555/', ['http://127.0.0.1:*'])).toBe(true)
    expect(allowed('http://localhost:3000/', ['*://localhost:3000'])).toBe(true)
    expect(allowed('http://localhost:3005/', ['http://localhost:3000..3010'])).toBe(true)
    expect(allowed('http://localhost:3011/', ['http://localhost:3000..3010'])).toBe(false)
    expect(allowed('https://anything.net/', ['https://*:*'])).toBe(true)
  })
  it('rejects malformed entries with a message', () => {
    expect(checkOutboundRule('api.example.com')).toMatch(/not an outbound host pattern/)
    expect(checkOutboundRule('https://api.example.com/path')).toMatch(/not an outbound host pattern/)
    expect(checkOutboundRule('https://api.example.com')).toBeUndefined()
  })
})

describe('CGI', () => {
  it('parses headers, Status and Location', () => {
    const r = parseCgiOutput(enc.encode('Status: 201 Created\r\nContent-Type: text/plain\r\n\r\nbody'))
    expect(r.status).toBe(201)
    expect(r.headers).toEqual([['content-type', 'text/plain']])
    expect(text(r.body)).toBe('body')
    expect(parseCgiOutput(enc.encode('Location: /elsewhere\n\n')).status).toBe(302)
  })
  it('treats output without a header block as the body', () => {
    expect(text(parseCgiOutput(enc.encode('hello\n\nworld')).body)).toBe('hello\n\nworld')
    expect(parseCgiOutput(enc.encode('')).status).toBe(200)
  })
  it('rejects a Status that is not an HTTP status', () => {
    expect(() => parseCgiOutput(enc.encode('Status: 99\n\n'))).toThrow(expect.objectContaining({ code: 'BAD_RESPONSE' }))
  })
  it('does not pass Authorization on, and lets the manifest environment win', () => {
    const env = cgiEnvironment({ headers: { authorization: 'secret', 'x-a': '1' } }, 'f', { SERVER_SOFTWARE: 'mine' })
    expect(env.HTTP_AUTHORIZATION).toBeUndefined()
    expect(env.HTTP_X_A).toBe('1')
    expect(env.SERVER_SOFTWARE).toBe('mine')
  })
  it("reads node:http's raw header list (what the gateway passes) like header pairs", () => {
    const env = cgiEnvironment({ rawHeaders: ['Host', 'example.test:8080', 'X-A', '1'], headers: [['x-a', 'ignored']] }, 'f', {})
    expect(env.SERVER_NAME).toBe('example.test')
    expect(env.SERVER_PORT).toBe('8080')
    expect(env.HTTP_X_A).toBe('1')
  })
})

describe('WASI 0.2 capabilities', () => {
  const ctx = (over: Partial<WasiContext> = {}): WasiContext & { lines: string[] } => {
    const lines: string[] = []
    return { env: {}, args: [], allowedOutboundHosts: [], files: [], deadline: performance.now() + 1000, log: (level, m) => lines.push(`${level} ${m}`), stdin: new Uint8Array(), stdout: new BufferSink(), stderr: new BufferSink(), lines, ...over }
  }
  it('denies sockets with access-denied and logs it', () => {
    const c = ctx()
    const imports = wasiImports(c)
    let thrown: unknown
    try {
      ;(imports['wasi:sockets/tcp-create-socket']!.createTcpSocket as (af: string) => unknown)('ipv4')
    } catch (e) {
      thrown = e
    }
    expect(thrown).toBe('access-denied')
    expect(c.lines).toEqual(['warn sockets: creating a TCP socket denied (functions have no socket access)'])
  })
  it('shows only the listed environment and no directories unless mapped', () => {
    const imports = wasiImports(ctx({ env: { A: '1' } }))
    expect((imports['wasi:cli/environment']!.getEnvironment as () => unknown)()).toEqual([['A', '1']])
    expect((imports['wasi:filesystem/preopens']!.getDirectories as () => unknown[])()).toEqual([])
  })
})

describe('component manifest', () => {
  it('parses the component fields and defaults JavaScript memory to 128 MiB', () => {
    const m = parseComponentManifest('name = "f"\nlanguage = "js"\nallowed_outbound_hosts = ["https://api.example.com"]\nfiles = [{ source = "static", destination = "/static" }]\n[env]\nA = "1"\n')
    expect(m.language).toBe('js')
    expect(m.entry).toBe('src/index.js')
    expect(m.config.limits.memoryBytes).toBe(128 * 1024 * 1024)
    expect(m.config.env).toEqual({ A: '1' })
    expect(m.allowedOutboundHosts).toEqual(['https://api.example.com'])
    expect(m.files).toEqual([{ source: 'static', destination: '/static' }])
  })
  it('names the field for bad input', () => {
    expect(() => parseComponentManifest('name = "f"\nlanguage = "js"\nallowed_outbound_hosts = ["example.com"]\n')).toThrow(/allowed_outbound_hosts: "example.com" is not an outbound host pattern/)
    expect(() => parseComponentManifest('name = "f"\nlanguage = "js"\nfiles = [{ source = "../etc", destination = "/etc" }]\n')).toThrow(/files\[0\]\.source must be a folder inside the function folder/)
    expect(() => parseComponentManifest('name = "f"\nlanguage = "cobol"\n')).toThrow(/"language" must be "assemblyscript", "js" or "wasm"/)
    expect(() => parseComponentManifest('name = "f"\nlanguage = "js"\n[limits]\nmemory_mib = "lots"\n')).toThrow(/"limits.memory_mib" must be an integer/)
  })
  it('reads args and writable folders, and lists every known field when one is unknown', () => {
    const m = parseComponentManifest('name = "f"\nlanguage = "wasm"\nargs = ["-o", "/tmp/out.wav"]\nfiles = [{ source = "out", destination = "/out", writable = true }]\n')
    expect(m.config.args).toEqual(['-o', '/tmp/out.wav'])
    expect(m.files).toEqual([{ source: 'out', destination: '/out', writable: true }])
    expect(parseComponentManifest('name = "f"\nlanguage = "wasm"\nresponse_file = "/tmp/out.wav"\n').config.responseFile).toBe('/tmp/out.wav')
    expect(() => parseComponentManifest('name = "f"\nlanguage = "wasm"\nresponse_file = "/tmp/../etc/passwd"\n')).toThrow('"response_file" must be a file in the scratch folder, like "/tmp/out.wav", got "/tmp/../etc/passwd"')
    expect(() => parseComponentManifest('name = "f"\nlanguage = "wasm"\nresponse_file = "/data/out.wav"\n')).toThrow('"response_file" must be a file in the scratch folder')
    expect(() => parseComponentManifest('name = "f"\nlanguage = "wasm"\nargs = "-o x"\n')).toThrow('jaegis.toml: "args" must be a list of strings like ["-o", "/tmp/out.wav"]')
    expect(() => parseComponentManifest(`name = "f"\nlanguage = "wasm"\nargs = [${Array.from({ length: 300 }, () => '"x"').join(',')}]\n`)).toThrow('"args" has 300 arguments, more than the limit of 256')
    expect(() => parseComponentManifest('name = "f"\nlanguage = "wasm"\nfiles = [{ source = "a", destination = "/a", mode = "rw" }]\n')).toThrow('unknown field "files[0].mode" (known fields: files[0].source, files[0].destination, files[0].writable)')
    // The list comes from artifact/manifest-fields.ts: every top-level field is named, component-only ones included.
    let message = ''
    try {
      parseComponentManifest('name = "f"\nlanguage = "wasm"\nargv = []\n')
    } catch (err) {
      message = (err as Error).message
    }
    for (const field of MANIFEST_FIELDS['']) expect(message).toContain(` ${field}`)
    expect(message).toMatch(/allowed_outbound_hosts, files\)$/)
  })
  it('detects the JavaScript handler style', () => {
    expect(detectJsStyle('export const incomingHandler = { handle() {} }')).toBe('incoming-handler')
    expect(detectJsStyle("addEventListener('fetch', (e) => e.respondWith(new Response('x')))")).toBe('fetch-event')
  })
})

describe('component artifacts', () => {
  it('rejects a part whose digest does not match', () => {
    const part = enc.encode('glue')
    const meta = {
      abi: ABI_VERSION,
      kind: 'component',
      digest: 'x',
      sizeBytes: 1,
      config: testConfig('f'),
      component: { world: 'http', export: 'wasi:http/incoming-handler@0.2.0', glue: { file: 'component.js', digest: '0'.repeat(64) }, coreModules: [{ file: 'component.js', digest: '0'.repeat(64), metered: false }], allowedOutboundHosts: [], files: [] },
    }
    const wasm = enc.encode('wasm')
    meta.digest = createHash('sha256').update(wasm).digest('hex')
    expect(() => verifyArtifact(meta, wasm, { 'component.js': part })).toThrow(/digest mismatch for component.js/)
    expect(() => verifyArtifact({ ...meta, kind: 'plugin' }, wasm)).toThrow(/unsupported kind "plugin"/)
  })
})

describe('wasi:http fields from host header pairs', () => {
  it('keeps every value apart (ASCII values share one buffer, others are encoded alone)', async () => {
    const { Fields } = await import('../runtime/component/wasi/http.js')
    const ascii = Fields.fromPairs([['Host', 'example.test'], ['X-Empty', ''], ['x-b', 'yz']], true)
    expect(ascii.entries().map(([k, v]) => [k, new TextDecoder().decode(v)])).toEqual([['host', 'example.test'], ['x-empty', ''], ['x-b', 'yz']])
    expect(ascii.get('x-b')[0]!.byteLength).toBe(2)
    const mixed = Fields.fromPairs(new Map([['a', 'twö'], ['b', 'x']]), false)
    expect(mixed.pairs()).toEqual([['a', 'twö'], ['b', 'x']])
    expect(() => ascii.append('c', new Uint8Array(1))).toThrow()
  })
})

describe('the trial request', () => {
  it('suggests the next power of two at or above what the refused grow asked for', () => {
    expect(suggestedMemoryMib(50.38 * 1024 * 1024)).toBe(64)
    expect(suggestedMemoryMib(64 * 1024 * 1024)).toBe(64)
    expect(suggestedMemoryMib(1)).toBe(1)
    expect(suggestedMemoryMib(4000 * 1024 * 1024)).toBe(4096)
    expect(suggestedMemoryMib(4097 * 1024 * 1024)).toBeUndefined()
  })

  it('refuses only what no request can get past, and names the fix', () => {
    expect(trialRefusal({ ok: false, code: 'MEMORY_LIMIT', message: 'function exceeded its memory limit of 32 MiB (asked to grow to 50.38 MiB)', wantedBytes: 52_828_160, ms: 1 }, 'dotnet')).toBe(
      '"dotnet" cannot answer a single request: the trial request (GET /) failed with MEMORY_LIMIT: function exceeded its memory limit of 32 MiB (asked to grow to 50.38 MiB); raise memory_mib to at least 64 ([limits] memory_mib in jaegis.toml, or jaegis deploy <app.wasm> --memory 64)',
    )
    expect(trialRefusal({ ok: false, code: 'TRAP', message: 'command exited with status 1', ms: 1 }, 'f')).toBeUndefined()
    expect(trialRefusal({ ok: false, code: 'INVALID_ARTIFACT', message: 'x', ms: 1 }, 'f')).toMatch(/^"f" cannot answer a single request/)
    expect(trialRefusal({ ok: true, status: 404, ms: 1 }, 'f')).toBeUndefined()
  })

  it('runs without outbound hosts or writable folders', () => {
    const meta = { component: { allowedOutboundHosts: ['https://api.example.com'], files: [{ guest: '/out', host: '/srv/out', writable: true }] } }
    const stripped = trialArtifact({ meta, wasm: new Uint8Array() } as never)
    expect(stripped.meta.component).toMatchObject({ allowedOutboundHosts: [], files: [{ guest: '/out', host: '/srv/out' }] })
    expect(stripped.meta.component!.files[0]!.writable).toBeUndefined()
  })
})
