// The WASI 0.2 imports a transpiled component gets, keyed as jco names them ("wasi:http/types", no
// version, so 0.2.0 through 0.2.12 guests all bind). Capabilities come from the context: environment
// variables listed in the manifest, read-only mapped directories, allow-listed outbound hosts, no sockets.
import { randomBytes, randomFillSync } from 'node:crypto'
import { resolve as resolvePath } from 'node:path'
import { Descriptor, DirectoryEntryStream, filesystemErrorCode } from './filesystem.js'
import { FutureIncomingResponse, IncomingResponse, Fields, FutureTrailers, IncomingBody, IncomingRequest, OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam, httpErrorCode, fromMethod, type OutboundResult } from './http.js'
import { InputStream, IoError, OutputStream, Pollable, nowNs, poll, type Sink } from './io.js'
import { fetchSync, outboundAllowed } from './outbound.js'
import type { LogLevel } from '../../instance.js'

/** What one component instance may do, and where its output goes. */
export interface WasiContext {
  /** Environment variables (only those the manifest lists). */
  env: Record<string, string>
  args: string[]
  /** Spin-style outbound allow-list; empty denies all outbound HTTP. */
  allowedOutboundHosts: readonly string[]
  /** Read-only directory mappings. */
  files: ReadonlyArray<{ guest: string; host: string }>
  /** performance.now() value past which the invocation is stopped. */
  deadline: number
  log(level: LogLevel, message: string): void
  stdin: Uint8Array
  stdout: Sink
  stderr: Sink
}

/** Thrown by wasi:cli/exit; the host turns it into an exit status. */
export class ExitSignal {
  constructor(readonly code: number) {}
}

class TerminalInput {}
class TerminalOutput {}
class Network {}
class TcpSocket {}
class UdpSocket {}
class IncomingDatagramStream {}
class OutgoingDatagramStream {}
class ResolveAddressStream {}

/** Interfaces this host provides (unversioned). A component importing anything else is refused at build. */
export const PROVIDED_INTERFACES = [
  'wasi:cli/environment', 'wasi:cli/exit', 'wasi:cli/stdin', 'wasi:cli/stdout', 'wasi:cli/stderr',
  'wasi:cli/terminal-input', 'wasi:cli/terminal-output', 'wasi:cli/terminal-stdin', 'wasi:cli/terminal-stdout', 'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock', 'wasi:clocks/wall-clock', 'wasi:filesystem/preopens', 'wasi:filesystem/types',
  'wasi:http/types', 'wasi:http/outgoing-handler', 'wasi:io/error', 'wasi:io/poll', 'wasi:io/streams',
  'wasi:random/random', 'wasi:random/insecure', 'wasi:random/insecure-seed',
  'wasi:sockets/network', 'wasi:sockets/instance-network', 'wasi:sockets/tcp', 'wasi:sockets/tcp-create-socket',
  'wasi:sockets/udp', 'wasi:sockets/udp-create-socket', 'wasi:sockets/ip-name-lookup',
] as const

const socketsDenied = (ctx: WasiContext, what: string) => () => {
  ctx.log('warn', `sockets: ${what} denied (functions have no socket access)`)
  throw 'access-denied'
}

/** Builds the import object for one instance. `ctx` is read at call time, so the host may update it per invocation. */
export function wasiImports(ctx: WasiContext): Record<string, Record<string, unknown>> {
  const stdinStream = () => new InputStream(ctx.stdin)
  const fsPolicy = { denied: (m: string) => ctx.log('warn', m) }
  const outgoingHandle = (request: OutgoingRequest, _options?: RequestOptions): FutureIncomingResponse => {
    let url: URL
    try {
      url = request.url()
    } catch {
      throw { tag: 'HTTP-request-URI-invalid' }
    }
    if (!outboundAllowed(url, ctx.allowedOutboundHosts)) {
      ctx.log('warn', `outbound HTTP to ${url.origin} denied: not in allowed_outbound_hosts`)
      throw { tag: 'HTTP-request-denied' }
    }
    return new FutureIncomingResponse((): OutboundResult => {
      const remainingMs = Math.max(1, Math.floor(ctx.deadline - performance.now()))
      const body = request.body_?.sink.take()
      const r = fetchSync({ url: url.href, method: fromMethod(request.method_), headers: request.fields.pairs(), body, timeoutMs: remainingMs })
      if (r.ok) return { tag: 'ok', val: new IncomingResponse(r.status, Fields.fromPairs(r.headers, true), r.body) }
      ctx.log('warn', `outbound HTTP to ${url.origin} failed: ${r.message}`)
      const val = r.code === 'timeout' ? { tag: 'connection-timeout' } : r.code === 'refused' ? { tag: 'connection-refused' } : r.code === 'dns' ? { tag: 'DNS-error', val: { rcode: undefined, infoCode: undefined } } : { tag: 'internal-error', val: r.message }
      return { tag: 'err', val }
    })
  }
  return {
    'wasi:cli/environment': {
      getEnvironment: () => Object.entries(ctx.env),
      getArguments: () => ctx.args,
      initialCwd: () => undefined,
    },
    'wasi:cli/exit': {
      exit: (status: { tag: string }) => {
        throw new ExitSignal(status.tag === 'ok' ? 0 : 1)
      },
      exitWithCode: (code: number) => {
        throw new ExitSignal(code)
      },
    },
    'wasi:cli/stdin': { getStdin: stdinStream },
    'wasi:cli/stdout': { getStdout: () => new OutputStream(ctx.stdout) },
    'wasi:cli/stderr': { getStderr: () => new OutputStream(ctx.stderr) },
    'wasi:cli/terminal-input': { TerminalInput },
    'wasi:cli/terminal-output': { TerminalOutput },
    'wasi:cli/terminal-stdin': { getTerminalStdin: () => undefined },
    'wasi:cli/terminal-stdout': { getTerminalStdout: () => undefined },
    'wasi:cli/terminal-stderr': { getTerminalStderr: () => undefined },
    'wasi:clocks/monotonic-clock': {
      now: nowNs,
      resolution: () => 1000n,
      subscribeDuration: (ns: bigint) => new Pollable(nowNs() + ns),
      subscribeInstant: (at: bigint) => new Pollable(at),
    },
    'wasi:clocks/wall-clock': {
      now: () => {
        const ms = Date.now()
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1e6 }
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1e6 }),
    },
    'wasi:filesystem/preopens': {
      getDirectories: () => ctx.files.map(({ guest, host }) => [new Descriptor(resolvePath(host), resolvePath(host), guest, fsPolicy), guest]),
    },
    'wasi:filesystem/types': { Descriptor, DirectoryEntryStream, filesystemErrorCode },
    'wasi:http/types': { Fields, FutureIncomingResponse, FutureTrailers, IncomingBody, IncomingRequest, IncomingResponse, OutgoingBody, OutgoingRequest, OutgoingResponse, RequestOptions, ResponseOutparam, httpErrorCode },
    'wasi:http/outgoing-handler': { handle: outgoingHandle },
    'wasi:io/error': { Error: IoError },
    'wasi:io/poll': { Pollable, poll },
    'wasi:io/streams': { InputStream, OutputStream },
    'wasi:random/random': {
      getRandomBytes: (len: bigint) => new Uint8Array(randomBytes(Number(len))),
      getRandomU64: () => randomFillSync(new BigUint64Array(1))[0]!,
    },
    'wasi:random/insecure': {
      getInsecureRandomBytes: (len: bigint) => new Uint8Array(randomBytes(Number(len))),
      getInsecureRandomU64: () => randomFillSync(new BigUint64Array(1))[0]!,
    },
    'wasi:random/insecure-seed': { insecureSeed: () => Array.from(randomFillSync(new BigUint64Array(2))) },
    'wasi:sockets/network': { Network },
    'wasi:sockets/instance-network': { instanceNetwork: () => new Network() },
    'wasi:sockets/tcp': { TcpSocket },
    'wasi:sockets/tcp-create-socket': { createTcpSocket: socketsDenied(ctx, 'creating a TCP socket') },
    'wasi:sockets/udp': { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
    'wasi:sockets/udp-create-socket': { createUdpSocket: socketsDenied(ctx, 'creating a UDP socket') },
    'wasi:sockets/ip-name-lookup': { ResolveAddressStream, resolveAddresses: socketsDenied(ctx, 'name lookup') },
  }
}
