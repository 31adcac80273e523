// The store: deployment state, artifact blobs and logs. An interface, so that one process can use
// the embedded file store and a cluster a NATS JetStream one; test/store-contract.ts checks both.
import type { Artifact, ArtifactSignature, FunctionConfig } from '@jaegis/runtime'

/** One deployed version of a function. */
export interface DeploymentVersion {
  version: number
  digest: string
  /** ISO 8601 time of the deploy. */
  deployedAt: string
  /** The configuration this version runs with: a deployment is digest + version + config. */
  config: FunctionConfig
  /** The builder's signature over digest and config (artifact/signing), checked again whenever the version loads; absent when unsigned. */
  signature?: ArtifactSignature
}

/** A function's deployment: which version serves, and every version it had. */
export interface Deployment {
  name: string
  /** The serving version. */
  current: number
  /** Oldest first. */
  versions: DeploymentVersion[]
  /** Invocation key, when the function's manifest requires one. */
  key?: string
}

/** A stored log line. */
export interface LogRecord {
  /** Milliseconds since the epoch. */
  timeMs: number
  level: string
  message: string
  /** Version that wrote it (0 for the platform's own lines). */
  version: number
}

/**
 * A write that fails because the backing storage is full rejects with a JaegisError `NO_SPACE` and
 * leaves nothing behind (no temporary files, the previous state intact).
 */
export interface Store {
  /** Stores an artifact under its digest. Idempotent. */
  putArtifact(artifact: Artifact): Promise<void>
  /** The artifact with `digest`, verified, or undefined. */
  getArtifact(digest: string): Promise<Artifact | undefined>
  /** Digests of every stored artifact. */
  listArtifacts(): Promise<string[]>
  /** Removes an artifact; nothing happens when there is none. The caller checks that no deployment refers to it. */
  deleteArtifact(digest: string): Promise<void>
  getDeployment(name: string): Promise<Deployment | undefined>
  listDeployments(): Promise<Deployment[]>
  /** Replaces a deployment record atomically: a reader sees the old or the new one, never a mix. */
  putDeployment(deployment: Deployment): Promise<void>
  /** Removes a deployment and its logs. False when there was none. */
  deleteDeployment(name: string): Promise<boolean>
  appendLogs(name: string, records: LogRecord[]): Promise<void>
  /** The last `limit` lines of a function's log, oldest first. */
  readLogs(name: string, limit: number): Promise<LogRecord[]>
  close(): Promise<void>
}
