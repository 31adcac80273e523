// A WASI preview-1 host over buffers, for CGI-style command modules: stdin is the request body,
// stdout is collected, stderr becomes log lines, the environment is what the caller passes, and the
// only files are read-only mapped directories. Everything else fails with an errno the guest sees.
import { closeSync, openSync, readSync, readdirSync, statSync, type Stats } from 'node:fs'
import { randomFillSync } from 'node:crypto'
import { join, normalize, resolve as resolvePath, sep } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { LogLevel } from '../instance.js'
import { blockHook } from '../component/wasi/io.js'
import { ExitSignal } from '../component/wasi/preview2.js'

export const E = { SUCCESS: 0, ACCES: 2, BADF: 8, INVAL: 28, IO: 29, ISDIR: 31, NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTSUP: 58, PERM: 63, ROFS: 69, SPIPE: 70, NOTCAPABLE: 76 } as const
const FILETYPE = { UNKNOWN: 0, CHAR: 2, DIRECTORY: 3, REGULAR: 4 }
const RIGHT_FD_WRITE = 1n << 6n
const OFLAG = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 }
const FDFLAG_APPEND = 1

export interface Preview1Context {
  args: string[]
  env: Record<string, string>
  stdin: Uint8Array
  /** Receives stdout bytes; returns false when the output limit is reached. */
  stdout(bytes: Uint8Array): boolean
  stderr(bytes: Uint8Array): void
  files: ReadonlyArray<{ guest: string; host: string }>
  log(level: LogLevel, message: string): void
}

interface OpenFile {
  kind: 'dir' | 'file' | 'stdio'
  host: string
  root: string
  guest: string
  offset: number
  data?: Uint8Array
}

const enc = new TextEncoder()
const dec = new TextDecoder()

/** The wasi_snapshot_preview1 import object for one instance. Call `bind(memory)` after instantiation. */
export function preview1Imports(ctx: Preview1Context): { imports: Record<string, (...args: never[]) => unknown>; bind(memory: WebAssembly.Memory): void } {
  let memory: WebAssembly.Memory
  const view = () => new DataView(memory.buffer)
  const bytes = () => new Uint8Array(memory.buffer)
  const fds: Array<OpenFile | undefined> = [
    { kind: 'stdio', host: '', root: '', guest: '<stdin>', offset: 0 },
    { kind: 'stdio', host: '', root: '', guest: '<stdout>', offset: 0 },
    { kind: 'stdio', host: '', root: '', guest: '<stderr>', offset: 0 },
    ...ctx.files.map(({ guest, host }) => ({ kind: 'dir' as const, host: resolvePath(host), root: resolvePath(host), guest, offset: 0 })),
  ]
  const preopenCount = fds.length
  // The host sets ctx.env and ctx.args per request, after instantiation: encode them on first use.
  let envFor: Record<string, string> | undefined
  let envCache: Uint8Array[] = []
  const envList = () => {
    if (envFor !== ctx.env) (envFor = ctx.env), (envCache = Object.entries(ctx.env).map(([k, v]) => enc.encode(`${k}=${v}\0`)))
    return envCache
  }
  const argList = () => ctx.args.map((a) => enc.encode(`${a}\0`))
  let stdinAt = 0
  const denied = (msg: string, errno: number) => {
    ctx.log('warn', msg)
    return errno
  }
  const putList = (list: Uint8Array[], ptrsPtr: number, bufPtr: number) => {
    const v = view()
    const m = bytes()
    for (let i = 0; i < list.length; i++) {
      v.setUint32(ptrsPtr + i * 4, bufPtr, true)
      m.set(list[i]!, bufPtr)
      bufPtr += list[i]!.length
    }
    return E.SUCCESS
  }
  const sizes = (list: Uint8Array[], countPtr: number, sizePtr: number) => {
    view().setUint32(countPtr, list.length, true)
    view().setUint32(sizePtr, list.reduce((n, b) => n + b.length, 0), true)
    return E.SUCCESS
  }
  const iovecs = (ptr: number, len: number) => {
    const v = view()
    return Array.from({ length: len }, (_, i) => ({ buf: v.getUint32(ptr + i * 8, true), len: v.getUint32(ptr + i * 8 + 4, true) }))
  }
  const readInto = (src: Uint8Array, at: number, iovsPtr: number, iovsLen: number, nreadPtr: number) => {
    let n = 0
    const m = bytes()
    for (const { buf, len } of iovecs(iovsPtr, iovsLen)) {
      const chunk = src.subarray(at + n, at + n + len)
      m.set(chunk, buf)
      n += chunk.length
      if (chunk.length < len) break
    }
    view().setUint32(nreadPtr, n, true)
    return n
  }
  const errnoOf = (err: unknown) => {
    const c = (err as NodeJS.ErrnoException).code
    return c === 'ENOENT' ? E.NOENT : c === 'ENOTDIR' ? E.NOTDIR : c === 'EISDIR' ? E.ISDIR : c === 'EACCES' ? E.ACCES : E.IO
  }
  const resolveIn = (dir: OpenFile, path: string): string | undefined => {
    const host = normalize(join(dir.host, path))
    return !path.startsWith('/') && (host === dir.root || host.startsWith(dir.root + sep)) ? host : undefined
  }
  const fileType = (st: Stats) => (st.isDirectory() ? FILETYPE.DIRECTORY : st.isFile() ? FILETYPE.REGULAR : FILETYPE.UNKNOWN)
  const putFilestat = (ptr: number, st: Stats) => {
    const v = view()
    v.setBigUint64(ptr, BigInt(st.dev), true)
    v.setBigUint64(ptr + 8, BigInt(st.ino), true)
    v.setUint8(ptr + 16, fileType(st))
    v.setBigUint64(ptr + 24, BigInt(st.nlink), true)
    v.setBigUint64(ptr + 32, BigInt(st.size), true)
    v.setBigUint64(ptr + 40, BigInt(Math.round(st.atimeMs * 1e6)), true)
    v.setBigUint64(ptr + 48, BigInt(Math.round(st.mtimeMs * 1e6)), true)
    v.setBigUint64(ptr + 56, BigInt(Math.round(st.ctimeMs * 1e6)), true)
  }
  const fileData = (f: OpenFile) => {
    if (!f.data) {
      const st = statSync(f.host)
      const buf = new Uint8Array(st.size)
      const fd = openSync(f.host, 'r')
      try {
        readSync(fd, buf, 0, buf.length, 0)
      } finally {
        closeSync(fd)
      }
      f.data = buf
    }
    return f.data
  }
  const nowNs = (id: number) => (id === 0 ? BigInt(Date.now()) * 1_000_000n : BigInt(Math.round(performance.now() * 1e6)))

  const imports: Record<string, (...args: never[]) => unknown> = {
    args_get: (argv: number, buf: number) => putList(argList(), argv, buf),
    args_sizes_get: (c: number, s: number) => sizes(argList(), c, s),
    environ_get: (envp: number, buf: number) => putList(envList(), envp, buf),
    environ_sizes_get: (c: number, s: number) => sizes(envList(), c, s),
    clock_res_get: (_id: number, out: number) => (view().setBigUint64(out, 1000n, true), E.SUCCESS),
    clock_time_get: (id: number, _precision: bigint, out: number) => (view().setBigUint64(out, nowNs(id), true), E.SUCCESS),
    fd_read: (fd: number, iovs: number, iovsLen: number, nread: number) => {
      const f = fds[fd]
      if (!f) return E.BADF
      if (fd === 0) {
        stdinAt += readInto(ctx.stdin, stdinAt, iovs, iovsLen, nread)
        return E.SUCCESS
      }
      if (f.kind !== 'file') return f.kind === 'dir' ? E.ISDIR : E.BADF
      try {
        f.offset += readInto(fileData(f), f.offset, iovs, iovsLen, nread)
      } catch (err) {
        return errnoOf(err)
      }
      return E.SUCCESS
    },
    fd_pread: (fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number) => {
      const f = fds[fd]
      if (!f || f.kind !== 'file') return E.BADF
      readInto(fileData(f), Number(offset), iovs, iovsLen, nread)
      return E.SUCCESS
    },
    fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number) => {
      if (fd !== 1 && fd !== 2) return fds[fd] ? denied(`filesystem: write to ${fds[fd]!.guest} denied (mapped read-only)`, E.ROFS) : E.BADF
      const m = bytes()
      let n = 0
      for (const { buf, len } of iovecs(iovs, iovsLen)) {
        const chunk = m.slice(buf, buf + len)
        if (fd === 1) {
          if (!ctx.stdout(chunk)) return E.IO
        } else ctx.stderr(chunk)
        n += len
      }
      view().setUint32(nwritten, n, true)
      return E.SUCCESS
    },
    fd_pwrite: () => E.ROFS,
    fd_close: (fd: number) => {
      if (!fds[fd]) return E.BADF
      if (fd >= preopenCount) fds[fd] = undefined
      return E.SUCCESS
    },
    fd_fdstat_get: (fd: number, out: number) => {
      const f = fds[fd]
      if (!f) return E.BADF
      const v = view()
      v.setUint8(out, f.kind === 'stdio' ? FILETYPE.CHAR : f.kind === 'dir' ? FILETYPE.DIRECTORY : FILETYPE.REGULAR)
      v.setUint16(out + 2, 0, true)
      const rights = f.kind === 'stdio' ? 0xffffffffn : 0xffffffffn & ~RIGHT_FD_WRITE
      v.setBigUint64(out + 8, rights, true)
      v.setBigUint64(out + 16, rights, true)
      return E.SUCCESS
    },
    fd_fdstat_set_flags: () => E.NOTSUP,
    fd_filestat_get: (fd: number, out: number) => {
      const f = fds[fd]
      if (!f) return E.BADF
      if (f.kind === 'stdio') {
        new Uint8Array(memory.buffer, out, 64).fill(0)
        view().setUint8(out + 16, FILETYPE.CHAR)
        return E.SUCCESS
      }
      try {
        putFilestat(out, statSync(f.host))
      } catch (err) {
        return errnoOf(err)
      }
      return E.SUCCESS
    },
    fd_seek: (fd: number, offset: bigint, whence: number, out: number) => {
      const f = fds[fd]
      if (!f) return E.BADF
      if (f.kind !== 'file') return E.SPIPE
      const size = fileData(f).length
      const next = (whence === 0 ? 0 : whence === 1 ? f.offset : size) + Number(offset)
      if (next < 0) return E.INVAL
      f.offset = next
      view().setBigUint64(out, BigInt(next), true)
      return E.SUCCESS
    },
    fd_tell: (fd: number, out: number) => {
      const f = fds[fd]
      if (!f || f.kind !== 'file') return f ? E.SPIPE : E.BADF
      view().setBigUint64(out, BigInt(f.offset), true)
      return E.SUCCESS
    },
    fd_prestat_get: (fd: number, out: number) => {
      const f = fds[fd]
      if (!f || fd < 3 || fd >= preopenCount) return E.BADF
      view().setUint8(out, 0)
      view().setUint32(out + 4, enc.encode(f.guest).length, true)
      return E.SUCCESS
    },
    fd_prestat_dir_name: (fd: number, ptr: number, len: number) => {
      const f = fds[fd]
      if (!f || fd < 3 || fd >= preopenCount) return E.BADF
      bytes().set(enc.encode(f.guest).subarray(0, len), ptr)
      return E.SUCCESS
    },
    fd_readdir: (fd: number, buf: number, bufLen: number, cookie: bigint, bufused: number) => {
      const f = fds[fd]
      if (!f || f.kind !== 'dir') return f ? E.NOTDIR : E.BADF
      let entries: Array<{ name: string; type: number }>
      try {
        entries = readdirSync(f.host, { withFileTypes: true }).map((d) => ({ name: d.name, type: d.isDirectory() ? FILETYPE.DIRECTORY : d.isFile() ? FILETYPE.REGULAR : FILETYPE.UNKNOWN }))
      } catch (err) {
        return errnoOf(err)
      }
      const out = new Uint8Array(bufLen)
      let at = 0
      for (let i = Number(cookie); i < entries.length && at < bufLen; i++) {
        const name = enc.encode(entries[i]!.name)
        const rec = new Uint8Array(24 + name.length)
        const rv = new DataView(rec.buffer)
        rv.setBigUint64(0, BigInt(i + 1), true)
        rv.setBigUint64(8, 0n, true)
        rv.setUint32(16, name.length, true)
        rv.setUint8(20, entries[i]!.type)
        rec.set(name, 24)
        const take = Math.min(rec.length, bufLen - at)
        out.set(rec.subarray(0, take), at)
        at += take
      }
      bytes().set(out.subarray(0, at), buf)
      view().setUint32(bufused, at, true)
      return E.SUCCESS
    },
    path_open: (fd: number, _dirflags: number, pathPtr: number, pathLen: number, oflags: number, rightsBase: bigint, _rightsInh: bigint, fdflags: number, out: number) => {
      const dir = fds[fd]
      if (!dir || dir.kind !== 'dir') return dir ? E.NOTDIR : E.BADF
      const path = dec.decode(bytes().subarray(pathPtr, pathPtr + pathLen))
      const host = resolveIn(dir, path)
      if (!host) return denied(`filesystem: path "${path}" escapes ${dir.guest}`, E.NOTCAPABLE)
      if (oflags & (OFLAG.CREAT | OFLAG.TRUNC | OFLAG.EXCL) || fdflags & FDFLAG_APPEND || BigInt(rightsBase) & RIGHT_FD_WRITE) {
        return denied(`filesystem: opening ${dir.guest.replace(/\/$/, '')}/${path} for writing denied (mapped read-only)`, E.ROFS)
      }
      let st: Stats
      try {
        st = statSync(host)
      } catch (err) {
        return errnoOf(err)
      }
      if (oflags & OFLAG.DIRECTORY && !st.isDirectory()) return E.NOTDIR
      fds.push({ kind: st.isDirectory() ? 'dir' : 'file', host, root: dir.root, guest: `${dir.guest.replace(/\/$/, '')}/${path}`, offset: 0 })
      view().setUint32(out, fds.length - 1, true)
      return E.SUCCESS
    },
    path_filestat_get: (fd: number, _flags: number, pathPtr: number, pathLen: number, out: number) => {
      const dir = fds[fd]
      if (!dir || dir.kind !== 'dir') return dir ? E.NOTDIR : E.BADF
      const path = dec.decode(bytes().subarray(pathPtr, pathPtr + pathLen))
      const host = resolveIn(dir, path)
      if (!host) return denied(`filesystem: path "${path}" escapes ${dir.guest}`, E.NOTCAPABLE)
      try {
        putFilestat(out, statSync(host))
      } catch (err) {
        return errnoOf(err)
      }
      return E.SUCCESS
    },
    path_create_directory: () => denied('filesystem: create directory denied (mapped read-only)', E.ROFS),
    path_remove_directory: () => denied('filesystem: remove directory denied (mapped read-only)', E.ROFS),
    path_unlink_file: () => denied('filesystem: unlink denied (mapped read-only)', E.ROFS),
    path_rename: () => denied('filesystem: rename denied (mapped read-only)', E.ROFS),
    path_symlink: () => denied('filesystem: symlink denied (mapped read-only)', E.ROFS),
    path_link: () => denied('filesystem: link denied (mapped read-only)', E.ROFS),
    path_filestat_set_times: () => E.ROFS,
    fd_filestat_set_size: () => E.ROFS,
    fd_filestat_set_times: () => E.ROFS,
    path_readlink: () => E.INVAL,
    fd_sync: () => E.SUCCESS,
    fd_datasync: () => E.SUCCESS,
    fd_advise: () => E.SUCCESS,
    fd_allocate: () => E.ROFS,
    fd_renumber: () => E.NOTSUP,
    fd_fdstat_set_rights: () => E.SUCCESS,
    poll_oneoff: (inPtr: number, outPtr: number, n: number, neventsPtr: number) => {
      const v = view()
      let sleepNs = Infinity
      const events: Array<[bigint, number, number]> = []
      for (let i = 0; i < n; i++) {
        const s = inPtr + i * 48
        const userdata = v.getBigUint64(s, true)
        const tag = v.getUint8(s + 8)
        if (tag === 0) {
          const id = v.getUint32(s + 16, true)
          const timeout = v.getBigUint64(s + 24, true)
          const abs = v.getUint16(s + 40, true) & 1
          const wait = abs ? Number(timeout - nowNs(id)) : Number(timeout)
          sleepNs = Math.min(sleepNs, Math.max(0, wait))
          events.push([userdata, 0, wait])
        } else events.push([userdata, tag, 0])
      }
      const fdReady = events.some(([, t]) => t !== 0)
      if (!fdReady && sleepNs !== Infinity) blockHook.current(sleepNs / 1e6)
      let count = 0
      for (const [userdata, tag, wait] of events) {
        if (tag === 0 && !(wait <= sleepNs && !fdReady)) continue
        const e = outPtr + count * 32
        new Uint8Array(memory.buffer, e, 32).fill(0)
        v.setBigUint64(e, userdata, true)
        v.setUint8(e + 10, tag)
        count++
      }
      v.setUint32(neventsPtr, count, true)
      return E.SUCCESS
    },
    proc_exit: (code: number) => {
      throw new ExitSignal(code)
    },
    proc_raise: () => E.NOSYS,
    sched_yield: () => E.SUCCESS,
    random_get: (ptr: number, len: number) => (randomFillSync(bytes(), ptr, len), E.SUCCESS),
    sock_accept: () => denied('sockets: accept denied (functions have no socket access)', E.NOTCAPABLE),
    sock_recv: () => denied('sockets: recv denied (functions have no socket access)', E.NOTCAPABLE),
    sock_send: () => denied('sockets: send denied (functions have no socket access)', E.NOTCAPABLE),
    sock_shutdown: () => denied('sockets: shutdown denied (functions have no socket access)', E.NOTCAPABLE),
  }
  return { imports, bind: (m) => (memory = m) }
}

/** Import names this host implements (anything else a module imports is refused at build time). */
export const PREVIEW1_MODULE = 'wasi_snapshot_preview1'
