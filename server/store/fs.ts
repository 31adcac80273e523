// The file operations the embedded store does, behind an interface so that tests can make the disk
// fail (ENOSPC, EIO) at any step; and the one place that turns "disk full" into an error a caller sees.
import { existsSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import { JaegisError } from '@jaegis/runtime'

export interface StoreFs {
  mkdir(path: string): Promise<void>
  readdir(path: string): Promise<string[]>
  rm(path: string): Promise<void>
  rename(from: string, to: string): Promise<void>
  readFile(path: string): Promise<Buffer>
  /** Creates (or truncates) `path`, writes `data` and fsyncs the file before resolving. */
  writeFileDurable(path: string, data: Uint8Array | string, mode?: number): Promise<void>
  appendFile(path: string, data: string): Promise<void>
  sizeBytes(path: string): Promise<number>
  /** Makes a rename or a new entry in `dir` durable. */
  fsyncDir(dir: string): Promise<void>
  exists(path: string): boolean
}

/** The real disk, through node:fs/promises. */
export const nodeStoreFs: StoreFs = {
  mkdir: async (path) => void (await fsp.mkdir(path, { recursive: true })),
  readdir: (path) => fsp.readdir(path),
  rm: (path) => fsp.rm(path, { recursive: true, force: true }),
  rename: (from, to) => fsp.rename(from, to),
  readFile: (path) => fsp.readFile(path),
  async writeFileDurable(path, data, mode = 0o644) {
    const fh = await fsp.open(path, 'w', mode)
    try {
      await fh.writeFile(data)
      await fh.sync()
    } finally {
      await fh.close()
    }
  },
  appendFile: (path, data) => fsp.appendFile(path, data),
  sizeBytes: async (path) => (await fsp.stat(path)).size,
  async fsyncDir(dir) {
    const fh = await fsp.open(dir, 'r')
    try {
      await fh.sync()
    } finally {
      await fh.close()
    }
  },
  exists: (path) => existsSync(path),
}

/** Error codes that mean the data directory's file system is full (or over quota). */
const NO_SPACE_ERRNO = new Set(['ENOSPC', 'EDQUOT'])

/** True when `err` (or its cause) says the disk is full. */
export function isNoSpace(err: unknown): boolean {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (e.code === 'NO_SPACE' || NO_SPACE_ERRNO.has(e.code as string)) return true
  }
  return false
}

/** A full disk becomes NO_SPACE (507, safe to show: it is the operator's to fix); anything else is rethrown as is. */
export function diskError(err: unknown, what: string): unknown {
  if (err instanceof JaegisError && err.code === 'NO_SPACE') return err
  if (!isNoSpace(err)) return err
  return new JaegisError('NO_SPACE', `no space left on the data directory: ${what} was not stored; free some space and retry`, { cause: err })
}
