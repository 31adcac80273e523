// A StoreFs that fails on demand like a full disk: while `full`, writing file data (create, append)
// fails with ENOSPC after leaving what a real disk leaves (a partial file); folders still get made.
import { nodeStoreFs, type StoreFs } from '../server/store/fs.js'

export class FullDiskFs implements StoreFs {
  /** While true (or true for the path written), writes fail with ENOSPC. */
  full: boolean | ((path: string) => boolean) = false
  /** Writes refused so far. */
  refused = 0

  private refuses(path: string): boolean {
    return typeof this.full === 'function' ? this.full(path) : this.full
  }

  private enospc(syscall: string, path: string): NodeJS.ErrnoException {
    this.refused++
    return Object.assign(new Error(`ENOSPC: no space left on device, ${syscall} '${path}'`), { code: 'ENOSPC', errno: -28, syscall, path })
  }

  mkdir = (path: string) => nodeStoreFs.mkdir(path)
  readdir = (path: string) => nodeStoreFs.readdir(path)
  rm = (path: string) => nodeStoreFs.rm(path)
  rename = (from: string, to: string) => nodeStoreFs.rename(from, to)
  readFile = (path: string) => nodeStoreFs.readFile(path)
  async writeFileDurable(path: string, data: Uint8Array | string, mode?: number): Promise<void> {
    if (!this.refuses(path)) return nodeStoreFs.writeFileDurable(path, data, mode)
    // The file is created and gets its first bytes before the disk runs out.
    await nodeStoreFs.writeFileDurable(path, typeof data === 'string' ? data.slice(0, 1) : data.subarray(0, 1), mode)
    throw this.enospc('write', path)
  }
  appendFile = (path: string, data: string) => (this.refuses(path) ? Promise.reject(this.enospc('write', path)) : nodeStoreFs.appendFile(path, data))
  sizeBytes = (path: string) => nodeStoreFs.sizeBytes(path)
  fsyncDir = (dir: string) => nodeStoreFs.fsyncDir(dir)
  exists = (path: string) => nodeStoreFs.exists(path)
}
