// Crash-safe file writes: temporary file, fsync, rename, fsync of the folder. A failed write (a full
// disk) removes its temporary file instead of leaving it for the next start.
import { randomBytes } from 'node:crypto'
import { dirname, join } from 'node:path'
import { nodeStoreFs, type StoreFs } from './fs.js'

/** Test-only fault injection: JAEGIS_TEST_CRASH_AT=<point> kills the process with SIGKILL at that point. */
export function crashPoint(point: string): void {
  if (process.env.JAEGIS_TEST_CRASH_AT === point) process.kill(process.pid, 'SIGKILL')
}

/** Prefix of temporary files and folders in the store; whatever carries it is removed at start. */
export const TMP_PREFIX = '.tmp-'

/** A fresh temporary path next to `path`. */
export function tmpBeside(path: string): string {
  return join(dirname(path), `${TMP_PREFIX}${randomBytes(6).toString('hex')}`)
}

/** Writes `data` to `path` so that a crash leaves either the old file or the new one. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o644, fs: StoreFs = nodeStoreFs): Promise<void> {
  const tmp = tmpBeside(path)
  try {
    await fs.writeFileDurable(tmp, data, mode)
    crashPoint('before-rename')
    await fs.rename(tmp, path)
  } catch (err) {
    await fs.rm(tmp).catch(() => {})
    throw err
  }
  await fs.fsyncDir(dirname(path))
}
