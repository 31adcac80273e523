// A WASI preview-1 host over buffers, for CGI-style command modules: stdin is the request body,
// stdout is collected, stderr becomes log lines, the environment is what the caller passes, and the
// only files are mapped directories (read-only unless mapped writable) and the per-request scratch
// folder /tmp. A path that leaves its folder, by ".." or through a symlink, is refused. Everything
// else fails with an errno the guest sees.
import { closeSync, constants as FS, fstatSync, ftruncateSync, mkdirSync, openSync, readSync, readdirSync, realpathSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs'
import { randomFillSync } from 'node:crypto'
import { dirname, join, normalize, resolve as resolvePath, sep } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { LogLevel } from '../instance.js'
import { blockHook } from '../component/wasi/io.js'
import { ExitSignal } from '../component/wasi/preview2.js'
import type { FileMapping } from '../component/artifact.js'
import { SCRATCH_GUEST_PATH, type ScratchDir } from './scratch.js'

export const E = { SUCCESS: 0, ACCES: 2, BADF: 8, EXIST: 20, INVAL: 28, IO: 29, ISDIR: 31, NOENT: 44, NOSPC: 51, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSUP: 58, PERM: 63, ROFS: 69, SPIPE: 70, NOTCAPABLE: 76 } as const
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
  files: ReadonlyArray<FileMapping>
  /** The request's scratch folder, mounted writable at /tmp. @default none (no /tmp) */
  scratch?: ScratchDir
  log(level: LogLevel, message: string): void
}

interface OpenFile {
  kind: 'dir' | 'file' | 'stdio'
  /** Host path ('' for the scratch preopen until the guest first uses it). */
  host: string
  /** The preopen's host folder, symlinks resolved: nothing outside it is reachable. */
  root: string
  guest: string
  offset: number
  writable: boolean
  /** The host file descriptor of an open file. */
  fd?: number
  /** Set for /tmp and what was opened below it: writes count against its byte budget. */
  scratch?: ScratchDir
  /** Size the scratch budget last saw (growth past it is charged). */
  size?: number
  /** Opened with O_APPEND: every write goes to the end. */
  append?: boolean
}

const enc = new TextEncoder()
const dec = new TextDecoder()

/** The wasi_snapshot_preview1 import object for one instance. Call `bind(memory)` after instantiation. */
export function preview1Imports(ctx: Preview1Context): { imports: Record<string, (...args: never[]) => unknown>; bind(memory: WebAssembly.Memory): void; closeAll(): void } {
  let memory: WebAssembly.Memory
  const view = () => new DataView(memory.buffer)
  const bytes = () => new Uint8Array(memory.buffer)
  const fds: Array<OpenFile | undefined> = [
    { kind: 'stdio', host: '', root: '', guest: '<stdin>', offset: 0, writable: false },
    { kind: 'stdio', host: '', root: '', guest: '<stdout>', offset: 0, writable: true },
    { kind: 'stdio', host: '', root: '', guest: '<stderr>', offset: 0, writable: true },
    ...ctx.files.map(({ guest, host, writable }) => {
      const root = realRoot(host)
      return { kind: 'dir' as const, host: root, root, guest, offset: 0, writable: writable === true }
    }),
    ...(ctx.scratch ? [{ kind: 'dir' as const, host: '', root: '', guest: SCRATCH_GUEST_PATH, offset: 0, writable: true, scratch: ctx.scratch }] : []),
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
    return c === 'ENOENT' ? E.NOENT : c === 'ENOTDIR' ? E.NOTDIR : c === 'EISDIR' ? E.ISDIR : c === 'EACCES' ? E.ACCES : c === 'EEXIST' ? E.EXIST : c === 'ENOTEMPTY' ? E.NOTEMPTY : c === 'ENOSPC' ? E.NOSPC : E.IO
  }
  /** The scratch preopen's host folder is made when the guest first reaches into it. */
  const hostOf = (f: OpenFile) => {
    if (f.scratch && !f.host) f.host = f.root = realRoot(f.scratch.host)
    return f.host
  }
  const inside = (root: string, p: string) => p === root || p.startsWith(root + sep)
  /**
   * The host path of `path` below `dir`, or undefined when it leaves the preopen: lexically (".."),
   * or through a symlink anywhere on the way (the path, or for a name not there yet its folder, is
   * resolved and must stay under the preopen's real root).
   */
  const resolveIn = (dir: OpenFile, path: string): string | undefined => {
    const host = normalize(join(hostOf(dir), path))
    if (path.startsWith('/') || !inside(dir.root, host)) return undefined
    let real: string
    try {
      real = realpathSync(host)
    } catch {
      try {
        real = join(realpathSync(dirname(host)), host.slice(dirname(host).length + 1))
      } catch {
        return host // neither it nor its folder exists: the operation fails with ENOENT
      }
    }
    return inside(dir.root, real) ? real : undefined
  }
  const escapes = (dir: OpenFile, path: string) => denied(`filesystem: path "${path}" leaves ${dir.guest}`, E.NOTCAPABLE)
  const readOnly = (dir: OpenFile, what: string) => denied(`filesystem: ${what} in ${dir.guest} denied (mapped read-only)`, E.ROFS)
  /** Charges growth of a scratch file to its budget; false when the budget is spent. */
  const charge = (f: OpenFile, end: number) => {
    const s = f.scratch
    if (!s || f.size === undefined || end <= f.size) return true
    if (s.usedBytes + (end - f.size) > s.limitBytes) return false
    s.usedBytes += end - f.size
    f.size = end
    return true
  }
  const noSpace = (f: OpenFile) => denied(`filesystem: ${f.guest} is full (the scratch folder holds at most ${f.scratch!.limitBytes} bytes per request, the function's memory limit)`, E.NOSPC)
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
  /** Reads from an open file at `position` into the guest's iovecs; returns the bytes read. */
  const readFile = (f: OpenFile, position: number, iovsPtr: number, iovsLen: number, nreadPtr: number) => {
    let n = 0
    const m = bytes()
    for (const { buf, len } of iovecs(iovsPtr, iovsLen)) {
      const got = len === 0 ? 0 : readSync(f.fd!, m, buf, len, position + n)
      n += got
      if (got < len) break
    }
    view().setUint32(nreadPtr, n, true)
    return n
  }
  /** Writes the guest's iovecs to an open file at `position`; returns the bytes written or an errno. */
  const writeFile = (f: OpenFile, position: number, iovsPtr: number, iovsLen: number, nwrittenPtr: number): { n: number } | { errno: number } => {
    const list = iovecs(iovsPtr, iovsLen)
    const total = list.reduce((n, v) => n + v.len, 0)
    if (!charge(f, position + total)) return { errno: noSpace(f) }
    let n = 0
    const m = bytes()
    for (const { buf, len } of list) n += writeSync(f.fd!, m, buf, len, position + n)
    view().setUint32(nwrittenPtr, n, true)
    return { n }
  }
  const appendAt = (f: OpenFile) => (f.append ? fstatSync(f.fd!).size : f.offset)
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
        f.offset += readFile(f, f.offset, iovs, iovsLen, nread)
      } catch (err) {
        return errnoOf(err)
      }
      return E.SUCCESS
    },
    fd_pread: (fd: number, iovs: number, iovsLen: number, offset: bigint, nread: number) => {
      const f = fds[fd]
      if (!f || f.kind !== 'file') return E.BADF
      try {
        readFile(f, Number(offset), iovs, iovsLen, nread)
      } catch (err) {
        return errnoOf(err)
      }
      return E.SUCCESS
    },
    fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number) => {
      if (fd !== 1 && fd !== 2) {
        const f = fds[fd]
        if (!f || f.kind === 'stdio') return E.BADF
        if (f.kind !== 'file') return E.ISDIR
        if (!f.writable) return denied(`filesystem: write to ${f.guest} denied (opened read-only or mapped read-only)`, E.ROFS)
        try {
          const r = writeFile(f, appendAt(f), iovs, iovsLen, nwritten)
          if ('errno' in r) return r.errno
          f.offset = (f.append ? fstatSync(f.fd!).size - r.n : f.offset) + r.n
        } catch (err) {
          return errnoOf(err)
        }
        return E.SUCCESS
      }
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
    fd_pwrite: (fd: number, iovs: number, iovsLen: number, offset: bigint, nwritten: number) => {
      const f = fds[fd]
      if (!f || f.kind !== 'file') return E.BADF
      if (!f.writable) return E.ROFS
      try {
        const r = writeFile(f, Number(offset), iovs, iovsLen, nwritten)
        return 'errno' in r ? r.errno : E.SUCCESS
      } catch (err) {
        return errnoOf(err)
      }
    },
    fd_close: (fd: number) => {
      const f = fds[fd]
      if (!f) return E.BADF
      if (fd >= preopenCount) {
        if (f.fd !== undefined) closeSync(f.fd)
        fds[fd] = undefined
      }
      return E.SUCCESS
    },
    fd_fdstat_get: (fd: number, out: number) => {
      const f = fds[fd]
      if (!f) return E.BADF
      const v = view()
      v.setUint8(out, f.kind === 'stdio' ? FILETYPE.CHAR : f.kind === 'dir' ? FILETYPE.DIRECTORY : FILETYPE.REGULAR)
      v.setUint16(out + 2, f.append ? FDFLAG_APPEND : 0, true)
      const rights = f.kind === 'stdio' || f.writable ? 0xffffffffn : 0xffffffffn & ~RIGHT_FD_WRITE
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
        putFilestat(out, f.fd !== undefined ? fstatSync(f.fd) : statSync(hostOf(f)))
      } catch (err) {
        return errnoOf(err)
      }
      return E.SUCCESS
    },
    fd_seek: (fd: number, offset: bigint, whence: number, out: number) => {
      const f = fds[fd]
      if (!f) return E.BADF
      if (f.kind !== 'file') return E.SPIPE
      const next = (whence === 0 ? 0 : whence === 1 ? f.offset : fstatSync(f.fd!).size) + Number(offset)
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
        entries = readdirSync(hostOf(f), { withFileTypes: true }).map((d) => ({ name: d.name, type: d.isDirectory() ? FILETYPE.DIRECTORY : d.isFile() ? FILETYPE.REGULAR : FILETYPE.UNKNOWN }))
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
      if (!host) return escapes(dir, path)
      const guest = `${dir.guest.replace(/\/$/, '')}/${path}`
      const write = (oflags & (OFLAG.CREAT | OFLAG.TRUNC | OFLAG.EXCL)) !== 0 || (fdflags & FDFLAG_APPEND) !== 0 || (BigInt(rightsBase) & RIGHT_FD_WRITE) !== 0n
      if (write && !dir.writable) return denied(`filesystem: opening ${guest} for writing denied (mapped read-only)`, E.ROFS)
      let st: Stats | undefined
      try {
        st = statSync(host)
      } catch (err) {
        if (!(oflags & OFLAG.CREAT)) return errnoOf(err)
      }
      if (oflags & OFLAG.DIRECTORY && st && !st.isDirectory()) return E.NOTDIR
      if (st?.isDirectory()) {
        if (write && oflags & (OFLAG.CREAT | OFLAG.TRUNC)) return E.ISDIR
        fds.push({ kind: 'dir', host, root: dir.root, guest, offset: 0, writable: dir.writable, ...(dir.scratch ? { scratch: dir.scratch } : {}) })
      } else {
        const flags = write
          ? FS.O_RDWR | (oflags & OFLAG.CREAT ? FS.O_CREAT : 0) | (oflags & OFLAG.TRUNC ? FS.O_TRUNC : 0) | (oflags & OFLAG.EXCL ? FS.O_EXCL : 0) | (fdflags & FDFLAG_APPEND ? FS.O_APPEND : 0)
          : FS.O_RDONLY
        let hostFd: number
        try {
          // O_NOFOLLOW: a symlink swapped in after the check above is refused, not followed.
          hostFd = openSync(host, flags | FS.O_NOFOLLOW, 0o600)
        } catch (err) {
          return errnoOf(err)
        }
        fds.push({ kind: 'file', host, root: dir.root, guest, offset: 0, writable: write, fd: hostFd, ...(fdflags & FDFLAG_APPEND ? { append: true } : {}), ...(dir.scratch ? { scratch: dir.scratch, size: fstatSync(hostFd).size } : {}) })
      }
      view().setUint32(out, fds.length - 1, true)
      return E.SUCCESS
    },
    path_filestat_get: (fd: number, _flags: number, pathPtr: number, pathLen: number, out: number) => {
      const dir = fds[fd]
      if (!dir || dir.kind !== 'dir') return dir ? E.NOTDIR : E.BADF
      const path = dec.decode(bytes().subarray(pathPtr, pathPtr + pathLen))
      const host = resolveIn(dir, path)
      if (!host) return escapes(dir, path)
      try {
        putFilestat(out, statSync(host))
      } catch (err) {
        return errnoOf(err)
      }
      return E.SUCCESS
    },
    path_create_directory: (fd: number, pathPtr: number, pathLen: number) => pathOp(fd, pathPtr, pathLen, 'create a directory', (host) => mkdirSync(host)),
    path_remove_directory: (fd: number, pathPtr: number, pathLen: number) => pathOp(fd, pathPtr, pathLen, 'remove a directory', (host) => rmdirSync(host)),
    path_unlink_file: (fd: number, pathPtr: number, pathLen: number) => pathOp(fd, pathPtr, pathLen, 'unlink', (host) => unlinkSync(host)),
    path_rename: (fd: number, pathPtr: number, pathLen: number, newFd: number, newPtr: number, newLen: number) => {
      const to = fds[newFd]
      if (!to || to.kind !== 'dir') return to ? E.NOTDIR : E.BADF
      if (!to.writable) return readOnly(to, 'rename')
      const newPath = dec.decode(bytes().subarray(newPtr, newPtr + newLen))
      const target = resolveIn(to, newPath)
      if (!target) return escapes(to, newPath)
      return pathOp(fd, pathPtr, pathLen, 'rename', (host) => renameSync(host, target))
    },
    path_symlink: () => denied('filesystem: creating symlinks is not allowed', E.NOTCAPABLE),
    path_link: () => denied('filesystem: creating hard links is not allowed', E.NOTCAPABLE),
    path_filestat_set_times: () => E.SUCCESS,
    fd_filestat_set_size: (fd: number, size: bigint) => {
      const f = fds[fd]
      if (!f || f.kind !== 'file') return E.BADF
      if (!f.writable) return E.ROFS
      if (!charge(f, Number(size))) return noSpace(f)
      try {
        ftruncateSync(f.fd!, Number(size))
      } catch (err) {
        return errnoOf(err)
      }
      return E.SUCCESS
    },
    fd_filestat_set_times: () => E.SUCCESS,
    path_readlink: () => E.INVAL,
    fd_sync: () => E.SUCCESS,
    fd_datasync: () => E.SUCCESS,
    fd_advise: () => E.SUCCESS,
    fd_allocate: () => E.NOTSUP,
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
  /** Runs `op` on the host path of `path` below the directory `fd` when that directory is writable. */
  function pathOp(fd: number, pathPtr: number, pathLen: number, what: string, op: (host: string) => void): number {
    const dir = fds[fd]
    if (!dir || dir.kind !== 'dir') return dir ? E.NOTDIR : E.BADF
    const path = dec.decode(bytes().subarray(pathPtr, pathPtr + pathLen))
    if (!dir.writable) return readOnly(dir, what)
    const host = resolveIn(dir, path)
    if (!host || host === dir.root) return escapes(dir, path)
    try {
      op(host)
    } catch (err) {
      return errnoOf(err)
    }
    return E.SUCCESS
  }
  /** Closes every host file the guest left open (call when the instance is done). */
  const closeAll = () => {
    for (const f of fds) if (f?.fd !== undefined) closeSync(f.fd)
    fds.length = preopenCount
  }
  return { imports, bind: (m) => (memory = m), closeAll }
}

/** A mapped folder's host path with symlinks resolved (a folder that does not exist stays as given, and fails on use). */
function realRoot(host: string): string {
  const p = resolvePath(host)
  try {
    return realpathSync(p)
  } catch {
    return p
  }
}

/** Import names this host implements (anything else a module imports is refused at build time). */
export const PREVIEW1_MODULE = 'wasi_snapshot_preview1'
