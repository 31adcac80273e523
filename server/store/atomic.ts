// Crash-safe file writes: temporary file, fsync, rename, fsync of the folder.
import { randomBytes } from 'node:crypto'
import { open, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'

/** Test-only fault injection: JAEGIS_TEST_CRASH_AT=<point> kills the process with SIGKILL at that point. */
export function crashPoint(point: string): void {
  if (process.env.JAEGIS_TEST_CRASH_AT === point) process.kill(process.pid, 'SIGKILL')
}

/** Writes `data` to `path` so that a crash leaves either the old file or the new one. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
  const tmp = join(dirname(path), `.tmp-${randomBytes(6).toString('hex')}`)
  const fh = await open(tmp, 'w', mode)
  try {
    await fh.writeFile(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  crashPoint('before-rename')
  try {
    await rename(tmp, path)
  } catch (err) {
    await rm(tmp, { force: true })
    throw err
  }
  await fsyncDir(dirname(path))
}

/** Makes a rename or a new file in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}
