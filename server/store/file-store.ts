// The embedded store: one folder on local disk.
//   artifacts/<digest>/{artifact.json,module.wasm}  immutable, content-addressed
//   deployments/<name>.json                         replaced atomically
//   logs/<name>.jsonl                               appended; trimmed to the newest lines
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { appendFile, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, isAbsolute, join } from 'node:path'
import { ARTIFACT_META_FILE, ARTIFACT_WASM_FILE, JaegisError, readArtifact, type Artifact } from '../../runtime/index.js'
import { crashPoint, fsyncDir, writeFileAtomic } from './atomic.js'
import { FUNCTION_NAME_PATTERN } from '../../artifact/index.js'
import type { Deployment, LogRecord, Store } from './store.js'

export interface FileStoreOptions {
  /** A log file is trimmed to its newest half once it passes this size. @default 4 MiB */
  maxLogBytes?: number
}

const NAME_RE = FUNCTION_NAME_PATTERN
const DIGEST_RE = /^[0-9a-f]{64}$/

export class FileStore implements Store {
  private readonly maxLogBytes: number

  private constructor(readonly dir: string, options: FileStoreOptions) {
    this.maxLogBytes = options.maxLogBytes ?? 4 * 1024 * 1024
  }

  /** Opens (creating if needed) a store in `dir`, and clears temporary files a crash left behind. */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    for (const sub of ['artifacts', 'deployments', 'logs']) {
      await mkdir(join(dir, sub), { recursive: true })
      for (const e of await readdir(join(dir, sub))) if (e.startsWith('.tmp-')) await rm(join(dir, sub, e), { recursive: true, force: true })
    }
    return new FileStore(dir, options)
  }

  async putArtifact(artifact: Artifact): Promise<void> {
    const final = join(this.dir, 'artifacts', artifact.meta.digest)
    if (existsSync(join(final, ARTIFACT_META_FILE))) return
    const tmp = join(this.dir, 'artifacts', `.tmp-${randomBytes(6).toString('hex')}`)
    await mkdir(tmp)
    // module.wasm, artifact.json, and the derived parts of components (jco's JS glue, core modules, memory images).
    const entries: Array<[string, Uint8Array | string]> = [[ARTIFACT_WASM_FILE, artifact.wasm], [ARTIFACT_META_FILE, JSON.stringify(artifact.meta, null, 2)], ...Object.entries(artifact.files ?? {})]
    for (const [file, data] of entries) {
      if (file.includes('..') || isAbsolute(file)) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: part name ${JSON.stringify(file)} leaves the artifact folder`)
      await mkdir(dirname(join(tmp, file)), { recursive: true })
      const fh = await open(join(tmp, file), 'w')
      try {
        await fh.writeFile(data)
        await fh.sync()
      } finally {
        await fh.close()
      }
    }
    await fsyncDir(tmp)
    crashPoint('artifact-before-rename')
    try {
      await rename(tmp, final)
    } catch (err) {
      await rm(tmp, { recursive: true, force: true })
      if (!existsSync(join(final, ARTIFACT_META_FILE))) throw err // else a concurrent put won
    }
    await fsyncDir(join(this.dir, 'artifacts'))
  }

  async getArtifact(digest: string): Promise<Artifact | undefined> {
    if (!DIGEST_RE.test(digest)) return undefined
    const dir = join(this.dir, 'artifacts', digest)
    if (!existsSync(join(dir, ARTIFACT_META_FILE))) return undefined
    return readArtifact(dir)
  }

  async getDeployment(name: string): Promise<Deployment | undefined> {
    if (!NAME_RE.test(name)) return undefined
    try {
      return JSON.parse(await readFile(join(this.dir, 'deployments', `${name}.json`), 'utf8')) as Deployment
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new JaegisError('INTERNAL', `deployment record of ${name} is unreadable: ${(err as Error).message}`, { cause: err, expose: false })
    }
  }

  async listDeployments(): Promise<Deployment[]> {
    const files = (await readdir(join(this.dir, 'deployments'))).filter((f) => f.endsWith('.json') && !f.startsWith('.tmp-'))
    const all = await Promise.all(files.map((f) => this.getDeployment(f.slice(0, -5))))
    return all.filter((d): d is Deployment => d !== undefined).sort((a, b) => a.name.localeCompare(b.name))
  }

  async putDeployment(deployment: Deployment): Promise<void> {
    if (!NAME_RE.test(deployment.name)) throw new JaegisError('BAD_REQUEST', `invalid function name ${JSON.stringify(deployment.name)}`)
    await writeFileAtomic(join(this.dir, 'deployments', `${deployment.name}.json`), JSON.stringify(deployment, null, 2) + '\n')
  }

  async deleteDeployment(name: string): Promise<boolean> {
    if (!NAME_RE.test(name)) return false
    const path = join(this.dir, 'deployments', `${name}.json`)
    if (!existsSync(path)) return false
    await rm(path)
    await fsyncDir(join(this.dir, 'deployments'))
    await rm(join(this.dir, 'logs', `${name}.jsonl`), { force: true })
    return true
  }

  async appendLogs(name: string, records: LogRecord[]): Promise<void> {
    if (!NAME_RE.test(name) || records.length === 0) return
    const path = join(this.dir, 'logs', `${name}.jsonl`)
    await appendFile(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n')
    const { size } = await stat(path)
    if (size > this.maxLogBytes) {
      const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean)
      await writeFile(path, lines.slice(Math.floor(lines.length / 2)).join('\n') + '\n')
    }
  }

  async readLogs(name: string, limit: number): Promise<LogRecord[]> {
    if (!NAME_RE.test(name)) return []
    let text: string
    try {
      text = await readFile(join(this.dir, 'logs', `${name}.jsonl`), 'utf8')
    } catch {
      return []
    }
    const out: LogRecord[] = []
    for (const line of text.split('\n').slice(-limit - 1)) {
      if (!line) continue
      try {
        out.push(JSON.parse(line) as LogRecord)
      } catch {
        // a line cut short by a crash: skip it
      }
    }
    return out.slice(-limit)
  }

  async close(): Promise<void> {}
}
