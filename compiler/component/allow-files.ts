// Which host folders an uploaded function may map: the operator's allow-list (`jaegis serve
// --allow-files <dir>[:rw]`). A mapping must resolve, symlinks and ".." included, to a folder inside
// an allowed one; a writable mapping needs a folder the operator allowed writable.
import { realpathSync, statSync } from 'node:fs'
import { isAbsolute, resolve, sep } from 'node:path'
import { JaegisError } from '@jaegis/runtime'
import type { FileMapping } from '@jaegis/runtime/component'

/** A folder uploaded functions may map, as the operator gave it. */
export interface AllowedFolder {
  dir: string
  /** Functions may map folders inside it writable. @default false */
  writable: boolean
}

/** "<dir>", "<dir>:ro" or "<dir>:rw" -> an AllowedFolder (`dir` made absolute against `cwd`). */
export function parseAllowFiles(spec: string, cwd: string): AllowedFolder {
  const m = /^(.*?)(?::(rw|ro))?$/.exec(spec)!
  if (!m[1]) throw new JaegisError('BAD_REQUEST', `--allow-files ${JSON.stringify(spec)} names no folder (use <dir>, <dir>:ro or <dir>:rw)`)
  return { dir: resolve(cwd, m[1]), writable: m[2] === 'rw' }
}

const inside = (root: string, p: string) => p === root || p.startsWith(root.endsWith(sep) ? root : root + sep)

/**
 * The mappings of an upload checked against `allowed`, each host path replaced by its real path (so
 * a symlink changed later cannot redirect it). Throws INVALID_ARTIFACT naming the first mapping refused and the fix.
 */
export function admitHostFolders(files: readonly FileMapping[], allowed: readonly AllowedFolder[]): FileMapping[] {
  const refuse = (msg: string) => new JaegisError('INVALID_ARTIFACT', `invalid artifact: ${msg}`)
  const roots = allowed.flatMap((a) => {
    try {
      return [{ ...a, real: realpathSync(a.dir) }]
    } catch {
      return [] // an allowed folder that does not exist allows nothing
    }
  })
  const list = allowed.length ? allowed.map((a) => `${a.dir}${a.writable ? ':rw' : ''}`).join(', ') : 'none'
  return files.map((f) => {
    if (!isAbsolute(f.host)) throw refuse(`the function maps ${JSON.stringify(f.host)}, which is not an absolute host path`)
    let real: string
    try {
      real = realpathSync(f.host)
      if (!statSync(real).isDirectory()) throw new Error('not a folder')
    } catch {
      throw refuse(`the function maps host folder ${f.host} to ${f.guest}, which does not exist on this server or is not a folder`)
    }
    const root = roots.find((r) => inside(r.real, real) && (r.writable || !f.writable)) ?? roots.find((r) => inside(r.real, real))
    if (!root) throw refuse(`the function maps host folder ${f.host} to ${f.guest}, which this server does not allow for uploads (allowed: ${list}; the operator allows folders with jaegis serve --allow-files <dir>)`)
    if (f.writable && !root.writable) throw refuse(`the function maps ${f.host} to ${f.guest} writable, but this server allows ${root.dir} read-only (the operator allows writing with jaegis serve --allow-files ${root.dir}:rw)`)
    return { guest: f.guest, host: real, ...(f.writable ? { writable: true } : {}) }
  })
}
