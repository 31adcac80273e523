// Where the real data of ../shared/data is: beside the project root (CI, the workplace), named by
// JAEGIS_SHARED_DATA, or beside the repository this clone came from (a fresh `git clone` elsewhere).
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

function locate(): string {
  const candidates = [process.env.JAEGIS_SHARED_DATA, join(ROOT, '..', 'shared', 'data')]
  try {
    const origin = execFileSync('git', ['config', '--get', 'remote.origin.url'], { cwd: ROOT, encoding: 'utf8' }).trim()
    if (origin && (isAbsolute(origin) || origin.startsWith('file://'))) candidates.push(join(resolve(origin.replace(/^file:\/\//, '')), '..', 'shared', 'data'))
  } catch {
    // not a git checkout: nothing to add
  }
  const found = candidates.find((c): c is string => Boolean(c) && existsSync(join(c!, 'README.md')))
  if (!found) throw new Error(`the shared test data (../shared/data) was not found; set JAEGIS_SHARED_DATA to its folder (looked in: ${candidates.filter(Boolean).join(', ')})`)
  return found
}

/** Absolute path of the shared data folder (qasm/, topologyzoo/, series/, azure-functions/). */
export const SHARED_DATA = locate()
