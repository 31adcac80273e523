// wasi:filesystem 0.2, read-only: a function sees only the directories its manifest maps, and can
// read but never write them. Every refused call fails in the guest with an error code and is logged.
import { closeSync, openSync, readSync, readdirSync, statSync, type Stats } from 'node:fs'
import { join, normalize, sep } from 'node:path'
import { InputStream } from './io.js'

export interface FsPolicy {
  /** Called for every refused operation, with a message for the host log. */
  denied(message: string): void
}

function typeOf(st: Stats): string {
  return st.isDirectory() ? 'directory' : st.isFile() ? 'regular-file' : st.isSymbolicLink() ? 'symbolic-link' : 'unknown'
}

function ts(ms: number): { seconds: bigint; nanoseconds: number } {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: Math.floor((ms % 1000) * 1e6) }
}

function statOf(st: Stats) {
  return { type: typeOf(st), linkCount: BigInt(st.nlink), size: BigInt(st.size), dataAccessTimestamp: ts(st.atimeMs), dataModificationTimestamp: ts(st.mtimeMs), statusChangeTimestamp: ts(st.ctimeMs) }
}

function codeOf(err: unknown): string {
  const c = (err as NodeJS.ErrnoException).code
  return c === 'ENOENT' ? 'no-entry' : c === 'ENOTDIR' ? 'not-directory' : c === 'EISDIR' ? 'is-directory' : c === 'EACCES' ? 'access' : 'io'
}

/** A directory or file under a mapped root. */
export class Descriptor {
  constructor(
    /** Absolute host path. */
    readonly hostPath: string,
    /** The mapped root it must stay inside. */
    private readonly root: string,
    /** Path as the guest sees it, for log lines. */
    private readonly guestPath: string,
    private readonly policy: FsPolicy,
  ) {}

  private deny(what: string): never {
    this.policy.denied(`filesystem: ${what} on ${this.guestPath} denied (mapped read-only)`)
    throw 'read-only'
  }

  private resolve(path: string): { host: string; guest: string } {
    const host = normalize(join(this.hostPath, path))
    if (path.startsWith('/') || (host !== this.root && !host.startsWith(this.root + sep))) {
      this.policy.denied(`filesystem: path "${path}" escapes ${this.guestPath}`)
      throw 'not-permitted'
    }
    return { host, guest: `${this.guestPath.replace(/\/$/, '')}/${path}` }
  }

  private st(path = this.hostPath): Stats {
    try {
      return statSync(path)
    } catch (err) {
      throw codeOf(err)
    }
  }

  readViaStream(offset: bigint): InputStream {
    return new InputStream(this.readAll().subarray(Number(offset)))
  }
  writeViaStream(): never {
    return this.deny('write')
  }
  appendViaStream(): never {
    return this.deny('append')
  }
  advise(): void {}
  syncData(): void {}
  sync(): void {}
  getFlags(): { read: boolean } {
    return { read: true }
  }
  getType(): string {
    return typeOf(this.st())
  }
  setSize(): never {
    return this.deny('set-size')
  }
  setTimes(): never {
    return this.deny('set-times')
  }
  setTimesAt(): never {
    return this.deny('set-times-at')
  }
  read(length: bigint, offset: bigint): [Uint8Array, boolean] {
    const all = this.readAll()
    const start = Number(offset)
    const out = all.slice(start, start + Number(length))
    return [out, start + out.length >= all.length]
  }
  write(): never {
    return this.deny('write')
  }
  readDirectory(): DirectoryEntryStream {
    try {
      return new DirectoryEntryStream(readdirSync(this.hostPath, { withFileTypes: true }).map((d) => ({ type: d.isDirectory() ? 'directory' : d.isFile() ? 'regular-file' : 'unknown', name: d.name })))
    } catch (err) {
      throw codeOf(err)
    }
  }
  createDirectoryAt(): never {
    return this.deny('create-directory')
  }
  stat() {
    return statOf(this.st())
  }
  statAt(_flags: unknown, path: string) {
    return statOf(this.st(this.resolve(path).host))
  }
  linkAt(): never {
    return this.deny('link')
  }
  openAt(_pathFlags: unknown, path: string, openFlags: { create?: boolean; truncate?: boolean; exclusive?: boolean; directory?: boolean }, flags: { write?: boolean; mutateDirectory?: boolean }): Descriptor {
    const { host, guest } = this.resolve(path)
    if (openFlags?.create || openFlags?.truncate || flags?.write || flags?.mutateDirectory) this.policy.denied(`filesystem: opening ${guest} for writing denied (mapped read-only)`)
    if (openFlags?.create || openFlags?.truncate || flags?.write || flags?.mutateDirectory) throw 'read-only'
    const st = this.st(host)
    if (openFlags?.directory && !st.isDirectory()) throw 'not-directory'
    return new Descriptor(host, this.root, guest, this.policy)
  }
  readlinkAt(): never {
    throw 'invalid'
  }
  removeDirectoryAt(): never {
    return this.deny('remove-directory')
  }
  renameAt(): never {
    return this.deny('rename')
  }
  symlinkAt(): never {
    return this.deny('symlink')
  }
  unlinkFileAt(): never {
    return this.deny('unlink')
  }
  isSameObject(other: Descriptor): boolean {
    return other.hostPath === this.hostPath
  }
  metadataHash(): { lower: bigint; upper: bigint } {
    const st = this.st()
    return { lower: BigInt(st.ino), upper: BigInt(st.dev) }
  }
  metadataHashAt(_flags: unknown, path: string): { lower: bigint; upper: bigint } {
    const st = this.st(this.resolve(path).host)
    return { lower: BigInt(st.ino), upper: BigInt(st.dev) }
  }

  /** Whole file content (functions read small files; the read limit bounds it). */
  readAll(): Uint8Array {
    const st = this.st()
    if (st.isDirectory()) throw 'is-directory'
    if (st.size > 64 * 1024 * 1024) throw 'file-too-large'
    const buf = new Uint8Array(st.size)
    const fd = openSync(this.hostPath, 'r')
    try {
      let at = 0
      while (at < buf.length) {
        const n = readSync(fd, buf, at, buf.length - at, at)
        if (n === 0) break
        at += n
      }
      return buf.subarray(0, at)
    } catch (err) {
      throw codeOf(err)
    } finally {
      closeSync(fd)
    }
  }
}

/** wasi:filesystem/types.directory-entry-stream. */
export class DirectoryEntryStream {
  private at = 0
  constructor(private readonly entries: Array<{ type: string; name: string }>) {}
  readDirectoryEntry(): { type: string; name: string } | undefined {
    return this.entries[this.at++]
  }
}

export function filesystemErrorCode(): undefined {
  return undefined
}
