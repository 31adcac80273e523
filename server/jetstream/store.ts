// The cluster's store on NATS JetStream (the Store interface; test/store-contract.ts checks it):
//   deployments  KV bucket, one key per function, written with compare-and-set on the revision read
//   artifacts    object store, one object per digest; the digest is checked on every read
//   logs         a stream with one subject per function, bounded per subject and in bytes
// Replication, persistence and consensus are JetStream's; this file only maps the interface onto it.
import type { NatsConnection } from '@nats-io/nats-core'
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import { Objm, type ObjectStore } from '@nats-io/obj'
import { JaegisError, verifyArtifactAsync, type Artifact } from '@jaegis/runtime'
import { FUNCTION_NAME_PATTERN } from '@jaegis/artifact'
import type { Deployment, LogRecord, Store } from '../store/store.js'
import { ARTIFACTS_BUCKET, DEPLOYMENTS_BUCKET, LOG_LINES_PER_FUNCTION, LOG_STREAM_MAX_BYTES, LOGS_STREAM, logSubject } from './names.js'
import { decodeArtifact, encodeArtifact } from './artifact-blob.js'

const DIGEST_RE = /^[0-9a-f]{64}$/

export interface JetStreamStoreOptions {
  /** Bucket/stream name prefix, so that several stores can share one server (tests). @default "" */
  prefix?: string
  /** Replicas of each bucket (1 on a single server; 3 on a 3-node NATS cluster). @default 1 */
  replicas?: number
  /** The JetStream domain the buckets live in (an edge site's host reaches the hub's this way). @default the server's own */
  domain?: string
}

export class JetStreamStore implements Store {
  /** Revision of each deployment key as last read or written here: the compare in compare-and-set. */
  private readonly revisions = new Map<string, number>()

  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly deployments: KV,
    private readonly artifacts: ObjectStore,
    private readonly logsStream: string,
    private readonly logPrefix: string,
  ) {}

  /** Creates (or binds to) the buckets and the log stream on `nc`. The connection stays the caller's. */
  static async open(nc: NatsConnection, options: JetStreamStoreOptions = {}): Promise<JetStreamStore> {
    const p = options.prefix ?? ''
    const replicas = options.replicas ?? 1
    const domain = options.domain ? { domain: options.domain } : {}
    const js = jetstream(nc, domain)
    const jsm = await jetstreamManager(nc, domain)
    const deployments = await new Kvm(js).create(p + DEPLOYMENTS_BUCKET, { history: 5, replicas })
    const artifacts = await new Objm(js).create(p + ARTIFACTS_BUCKET, { replicas })
    const logsStream = (p + LOGS_STREAM).replace(/[^A-Za-z0-9_-]/g, '_')
    const logPrefix = p ? `${p.replace(/[^A-Za-z0-9_-]/g, '_')}.` : ''
    const config = { subjects: [`${logPrefix}${logSubject('*')}`], max_msgs_per_subject: LOG_LINES_PER_FUNCTION, max_bytes: LOG_STREAM_MAX_BYTES, num_replicas: replicas }
    try {
      await jsm.streams.info(logsStream)
      await jsm.streams.update(logsStream, config)
    } catch {
      await jsm.streams.add({ name: logsStream, ...config })
    }
    return new JetStreamStore(js, jsm, deployments, artifacts, logsStream, logPrefix)
  }

  async putArtifact(artifact: Artifact): Promise<void> {
    const digest = artifact.meta.digest
    if (!DIGEST_RE.test(digest)) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: digest ${JSON.stringify(digest)} is not sha256 hex`)
    if (await this.artifacts.info(digest).then((i) => i && !i.deleted)) return
    await this.artifacts.putBlob({ name: digest }, encodeArtifact(artifact)).catch((err) => {
      throw storeError(err, 'the artifact')
    })
  }

  async getArtifact(digest: string): Promise<Artifact | undefined> {
    if (!DIGEST_RE.test(digest)) return undefined
    const blob = await this.artifacts.getBlob(digest) // the object store checks its own SHA-256 of the blob
    if (!blob) return undefined
    const artifact = await decodeArtifact(blob, verifyArtifactAsync) // sha256(wasm) must equal meta.digest ...
    if (artifact.meta.digest !== digest) throw new JaegisError('INVALID_ARTIFACT', `invalid artifact: object ${digest} holds artifact ${artifact.meta.digest}`) // ... and the name it was asked for
    return artifact
  }

  async listArtifacts(): Promise<string[]> {
    return (await this.artifacts.list()).filter((i) => !i.deleted && DIGEST_RE.test(i.name)).map((i) => i.name)
  }

  async deleteArtifact(digest: string): Promise<void> {
    if (!DIGEST_RE.test(digest)) return
    const info = await this.artifacts.info(digest)
    if (!info || info.deleted) return
    await this.artifacts.delete(digest)
  }

  async getDeployment(name: string): Promise<Deployment | undefined> {
    if (!FUNCTION_NAME_PATTERN.test(name)) return undefined
    const e = await this.deployments.get(name)
    if (!e) {
      this.revisions.delete(name)
      return undefined
    }
    this.revisions.set(name, e.revision)
    return e.operation === 'PUT' ? (e.json<Deployment>()) : undefined
  }

  async listDeployments(): Promise<Deployment[]> {
    const names: string[] = []
    for await (const k of await this.deployments.keys()) if (FUNCTION_NAME_PATTERN.test(k)) names.push(k)
    const all = await Promise.all(names.map((n) => this.getDeployment(n)))
    return all.filter((d): d is Deployment => d !== undefined).sort((a, b) => a.name.localeCompare(b.name))
  }

  /**
   * Compare-and-set: the write succeeds only if the key is still at the revision this store last read
   * (the deployer reads before it writes); another control plane's write in between is CONFLICT.
   */
  async putDeployment(deployment: Deployment): Promise<void> {
    const { name } = deployment
    if (!FUNCTION_NAME_PATTERN.test(name)) throw new JaegisError('BAD_REQUEST', `invalid function name ${JSON.stringify(name)}`)
    if (!this.revisions.has(name)) await this.getDeployment(name)
    const seen = this.revisions.get(name)
    const data = JSON.stringify(deployment)
    try {
      const rev = seen === undefined ? await this.deployments.create(name, data) : await this.deployments.update(name, data, seen)
      this.revisions.set(name, rev)
    } catch (err) {
      this.revisions.delete(name) // read again before the next attempt
      if (/wrong last sequence|key exists/i.test(String((err as Error).message))) {
        throw new JaegisError('CONFLICT', `deployment of "${name}" was changed by another control plane meanwhile; retry`, { cause: err })
      }
      throw storeError(err, 'the deployment record')
    }
  }

  async deleteDeployment(name: string): Promise<boolean> {
    if (!FUNCTION_NAME_PATTERN.test(name)) return false
    const existed = (await this.getDeployment(name)) !== undefined
    if (!existed) return false
    await this.deployments.delete(name, { previousSeq: this.revisions.get(name)! })
    this.revisions.delete(name)
    await this.jsm.streams.purge(this.logsStream, { filter: this.logPrefix + logSubject(name) })
    return true
  }

  async appendLogs(name: string, records: LogRecord[]): Promise<void> {
    if (!FUNCTION_NAME_PATTERN.test(name) || records.length === 0) return
    const subject = this.logPrefix + logSubject(name)
    await Promise.all(records.map((r) => this.js.publish(subject, JSON.stringify(r)))).catch((err) => {
      throw storeError(err, 'the log lines')
    })
  }

  async readLogs(name: string, limit: number): Promise<LogRecord[]> {
    if (!FUNCTION_NAME_PATTERN.test(name) || limit <= 0) return []
    const subject = this.logPrefix + logSubject(name)
    const info = await this.jsm.streams.info(this.logsStream, { subjects_filter: subject })
    const count = info.state.subjects?.[subject] ?? 0
    if (count === 0) return []
    // At most LOG_LINES_PER_FUNCTION lines are kept per subject: read them and keep the newest `limit`.
    const consumer = await this.js.consumers.get(this.logsStream, { filter_subjects: subject })
    const out: LogRecord[] = []
    const batch = await consumer.fetch({ max_messages: count, expires: 2_000 })
    for await (const m of batch) {
      try {
        out.push(m.json<LogRecord>())
      } catch {
        // not a log record: skip it
      }
      if (m.info.pending === 0) break
    }
    await consumer.delete().catch(() => {})
    return out.slice(-limit)
  }

  async close(): Promise<void> {}
}

/** JetStream's "out of storage" is NO_SPACE (as a full disk is for the file store); anything else stays internal. */
function storeError(err: unknown, what: string): JaegisError {
  const msg = String((err as Error)?.message ?? err)
  if (/insufficient (storage )?resources|maximum bytes exceeded|storage.*exceeded/i.test(msg)) {
    return new JaegisError('NO_SPACE', `no space left on the data directory for ${what} (JetStream: ${msg})`, { cause: err })
  }
  return new JaegisError('INTERNAL', `JetStream refused ${what}: ${msg}`, { cause: err, expose: false })
}
