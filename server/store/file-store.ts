// The embedded store: one folder on local disk.
//   artifacts/<digest>/{artifact.json,module.wasm}  immutable, content-addressed
//   deployments/<name>.json                         replaced atomically
//   logs/<name>.jsonl                               appended; trimmed to the newest lines
// Every write goes through a StoreFs (tests inject a full disk); a full disk is NO_SPACE, never
// INTERNAL, and a failed write removes the temporary files it made.
import { isAbsolute, join, dirname } from 'node:path'
import { ARTIFACT_META_FILE, ARTIFACT_WASM_FILE, JaegisError, readArtifact, type Artifact } from '@jaegis/runtime'
import { crashPoint, TMP_PREFIX, tmpBeside, writeFileAtomic } from './atomic.js'
import { diskError, nodeStoreFs, type StoreFs } from './fs.js'
import { FUNCTION_NAME_PATTERN } from '@jaegis/artifact'
import type { Deployment, LogRecord, Store } from './store.js'

export interface FileStoreOptions {
  /** A log file is trimmed to its newest half once it passes this size. @default 4 MiB */
  maxLogBytes?: number
  /** The file operations to use. @default the real disk (nodeStoreFs) */
  fs?: StoreFs
}

const NAME_RE = FUNCTION_NAME_PATTERN
const DIGEST_RE = /^[0-9a-f]{64}$/

/**
 * Deployment records are read once at open and then served from memory (a list of 2,000 functions
 * used to read 2,000 files); every write goes to disk first, then to memory. Returned records are
 * frozen: they are the store's, not the caller's.
 */
export class FileStore implements Store {
  private readonly maxLogBytes: number
  private readonly fs: StoreFs
  private readonly deployments = new Map<string, Deployment>()

  private constructor(readonly dir: string, options: FileStoreOptions) {
    this.maxLogBytes = options.maxLogBytes ?? 4 * 1024 * 1024
    this.fs = options.fs ?? nodeStoreFs
  }

  /** Opens (creating if needed) a store in `dir`, and clears temporary files a crash left behind. */
  static async open(dir: string, options: FileStoreOptions = {}): Promise<FileStore> {
    const fs = options.fs ?? nodeStoreFs
    for (const sub of ['artifacts', 'deployments', 'logs']) {
      await fs.mkdir(join(dir, sub))
      for (const e of await fs.readdir(join(dir, sub))) if (e.startsWith(TMP_PREFIX)) await fs.rm(join(dir, sub, e))
    }
    const store = new FileStore(dir, options)
    await store.loadDeployments()
    return store
  }

  async putArtifact(artifact: Artifact): Promise<void> {
    const final = join(this.dir, 'artifacts', artifact.meta.digest)
    if (this.fs.exists(join(final, ARTIFACT_META_FILE))) return
    // module.wasm, artifact.json, and the derived parts of components (jco's JS glue, core modules, memory images).
    const entries: Array<[string, Uint8Array | string]> = [[ARTIFACT_WASM_FILE, artifact.wasm], [ARTIFACT_META_FILE, JSON.stringify(artifact.meta, null, 2)], ...Object.entries(artifact.files ?? {})]
    for (const [file] of entries) {
      if (file.includes('..') || isAbsolute(file)) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: part name ${JSON.stringify(file)} leaves the artifact folder`)
    }
    const tmp = tmpBeside(final)
    try {
      await this.fs.mkdir(tmp)
      for (const [file, data] of entries) {
        await this.fs.mkdir(dirname(join(tmp, file)))
        await this.fs.writeFileDurable(join(tmp, file), data)
      }
      await this.fs.fsyncDir(tmp)
      crashPoint('artifact-before-rename')
      await this.fs.rename(tmp, final)
    } catch (err) {
      await this.fs.rm(tmp).catch(() => {})
      if (!this.fs.exists(join(final, ARTIFACT_META_FILE))) throw diskError(err, 'the artifact') // else a concurrent put won
    }
    await this.fs.fsyncDir(join(this.dir, 'artifacts')).catch((err) => {
      throw diskError(err, 'the artifact')
    })
  }

  async listArtifacts(): Promise<string[]> {
    return (await this.fs.readdir(join(this.dir, 'artifacts'))).filter((d) => DIGEST_RE.test(d))
  }

  async deleteArtifact(digest: string): Promise<void> {
    if (!DIGEST_RE.test(digest)) return
    // Renamed away first, so that a crash half-way through leaves a temporary folder (removed at start), never half an artifact.
    const doomed = tmpBeside(join(this.dir, 'artifacts', digest))
    try {
      await this.fs.rename(join(this.dir, 'artifacts', digest), doomed)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    await this.fs.rm(doomed)
  }

  async getArtifact(digest: string): Promise<Artifact | undefined> {
    if (!DIGEST_RE.test(digest)) return undefined
    const dir = join(this.dir, 'artifacts', digest)
    if (!this.fs.exists(join(dir, ARTIFACT_META_FILE))) return undefined
    return readArtifact(dir)
  }

  async getDeployment(name: string): Promise<Deployment | undefined> {
    return NAME_RE.test(name) ? this.deployments.get(name) : undefined
  }

  async listDeployments(): Promise<Deployment[]> {
    return [...this.deployments.values()].sort((a, b) => a.name.localeCompare(b.name))
  }

  async putDeployment(deployment: Deployment): Promise<void> {
    if (!NAME_RE.test(deployment.name)) throw new JaegisError('BAD_REQUEST', `invalid function name ${JSON.stringify(deployment.name)}`)
    const text = JSON.stringify(deployment, null, 2) + '\n'
    await writeFileAtomic(join(this.dir, 'deployments', `${deployment.name}.json`), text, 0o644, this.fs).catch((err) => {
      throw diskError(err, 'the deployment record')
    })
    this.deployments.set(deployment.name, frozen(JSON.parse(text) as Deployment))
  }

  /** Reads every deployment record into memory: the store's process is the only writer of its folder. */
  private async loadDeployments(): Promise<void> {
    const files = (await this.fs.readdir(join(this.dir, 'deployments'))).filter((f) => f.endsWith('.json') && !f.startsWith(TMP_PREFIX))
    for (const f of files) {
      const name = f.slice(0, -5)
      if (!NAME_RE.test(name)) continue
      try {
        this.deployments.set(name, frozen(JSON.parse((await this.fs.readFile(join(this.dir, 'deployments', f))).toString('utf8')) as Deployment))
      } catch (err) {
        throw new JaegisError('INTERNAL', `deployment record of ${name} is unreadable: ${(err as Error).message}`, { cause: err, expose: false })
      }
    }
  }

  async deleteDeployment(name: string): Promise<boolean> {
    if (!NAME_RE.test(name)) return false
    const path = join(this.dir, 'deployments', `${name}.json`)
    if (!this.deployments.has(name) && !this.fs.exists(path)) return false
    await this.fs.rm(path)
    this.deployments.delete(name)
    await this.fs.fsyncDir(join(this.dir, 'deployments'))
    await this.fs.rm(join(this.dir, 'logs', `${name}.jsonl`))
    return true
  }

  async appendLogs(name: string, records: LogRecord[]): Promise<void> {
    if (!NAME_RE.test(name) || records.length === 0) return
    const path = join(this.dir, 'logs', `${name}.jsonl`)
    try {
      await this.fs.appendFile(path, records.map((r) => JSON.stringify(r)).join('\n') + '\n')
      if ((await this.fs.sizeBytes(path)) > this.maxLogBytes) {
        const lines = (await this.fs.readFile(path)).toString('utf8').split('\n').filter(Boolean)
        // Atomic, so that a full disk during a trim keeps the old log rather than truncating it.
        await writeFileAtomic(path, lines.slice(Math.floor(lines.length / 2)).join('\n') + '\n', 0o644, this.fs)
      }
    } catch (err) {
      throw diskError(err, 'the log lines')
    }
  }

  async readLogs(name: string, limit: number): Promise<LogRecord[]> {
    if (!NAME_RE.test(name)) return []
    let text: string
    try {
      text = (await this.fs.readFile(join(this.dir, 'logs', `${name}.jsonl`))).toString('utf8')
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

/** `value` and everything in it made read-only. */
function frozen<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) frozen(v)
    Object.freeze(value)
  }
  return value
}
