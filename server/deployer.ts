// Deployments: validate and warm a new version, persist it crash-safely, then move traffic to it.
// Order matters: a crash before the deployment record is renamed leaves the previous version serving.
// Artifacts no version refers to (a kill between the two writes, a removed function) are collected.
import { randomBytes } from 'node:crypto'
import { JaegisError, trialRefusal, type Artifact, type Runtime } from '@jaegis/runtime'
import { crashPoint } from './store/atomic.js'
import type { Deployment, DeploymentVersion, Store } from './store/store.js'

export interface DeployResult {
  name: string
  version: number
  digest: string
  /** False when this digest was already the serving version. */
  changed: boolean
  key?: string
  /** How the trial request went (components and WASI programs; runtime/trial.ts), when one ran. */
  trial?: { status: number } | { error: { code: string; message: string } }
}

export type FunctionStatus = { state: 'serving' } | { state: 'failed'; error: string }

export class Deployer {
  /** Functions whose current version failed to load at start-up, with why. */
  readonly failures = new Map<string, string>()
  private queue: Promise<unknown> = Promise.resolve()

  /**
   * `onError` hears what fails off a request's path (collecting artifacts); it gets a label and the
   * error. `admitStored` checks a stored version again before restore() loads it (the folders it
   * maps against today's `--allow-files`); it throws to keep the version from loading.
   */
  constructor(
    private readonly runtime: Runtime,
    private readonly store: Store,
    private readonly log: (name: string, message: string, level?: string) => void,
    private readonly onError: (label: string, err: unknown) => void = () => {},
    private readonly admitStored: (artifact: Artifact) => Artifact = (a) => a,
  ) {}

  /** Deploys serialize: two at once for one name would race on the version number. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn)
    this.queue = next.catch(() => {})
    return next
  }

  deploy(artifact: Artifact): Promise<DeployResult> {
    return this.serial(async () => {
      const { name } = artifact.meta.config
      const existing = await this.store.getDeployment(name)
      const current = existing?.versions.find((v) => v.version === existing.current)
      if (current?.digest === artifact.meta.digest && sameConfig(current.config, artifact.meta.config) && sameConfig(current.signature, artifact.meta.signature) && this.runtime.has(name)) {
        return { name, version: current.version, digest: current.digest, changed: false, ...(existing?.key ? { key: existing.key } : {}) }
      }
      const prepared = await this.runtime.prepareAsync(artifact) // validates and warms, off this thread where it can; throws with a reason
      let stored = false
      try {
        // A version that cannot answer one request is refused before anything is stored (runtime/trial.ts).
        const outcome = await this.runtime.trial(artifact)
        const refusal = outcome && trialRefusal(outcome, name)
        if (refusal) throw new JaegisError('TRIAL_FAILED', refusal)
        if (outcome && !outcome.ok) this.log(name, `the trial request (GET /) failed with ${outcome.code}: ${outcome.message}; deploying anyway (that may be this request's own answer)`, 'warn')
        const trial = outcome && (outcome.ok ? { status: outcome.status } : { error: { code: outcome.code, message: outcome.message } })
        await this.store.putArtifact(artifact)
        stored = true
        crashPoint('after-artifact')
        const version = (existing?.versions.at(-1)?.version ?? 0) + 1
        const { signature } = artifact.meta
        const entry: DeploymentVersion = { version, digest: artifact.meta.digest, deployedAt: new Date().toISOString(), config: artifact.meta.config, ...(signature ? { signature } : {}) }
        const key = artifact.meta.config.requireKey ? (existing?.key ?? `jfk_${randomBytes(18).toString('base64url')}`) : existing?.key
        const next: Deployment = { name, current: version, versions: [...(existing?.versions ?? []), entry], ...(key ? { key } : {}) }
        await this.store.putDeployment(next)
        crashPoint('after-deployment')
        this.runtime.activate(prepared)
        await this.runtime.synced() // every worker serves it before the deploy is answered
        this.failures.delete(name)
        this.log(name, `deployed version ${version} (${artifact.meta.digest.slice(0, 12)})`)
        return { name, version, digest: artifact.meta.digest, changed: true, ...(artifact.meta.config.requireKey && key ? { key } : {}), ...(trial ? { trial } : {}) }
      } catch (err) {
        this.runtime.discard(prepared)
        if (stored) await this.collect() // the artifact may now belong to no version
        throw err
      }
    })
  }

  /** Makes an earlier version serve again (default: the one before the current). */
  rollback(name: string, version?: number): Promise<DeployResult> {
    return this.serial(async () => {
      const d = await this.store.getDeployment(name)
      if (!d) throw new JaegisError('UNKNOWN_FUNCTION', `no function named "${name}" is deployed`)
      const idx = d.versions.findIndex((v) => v.version === d.current)
      const target = version === undefined ? d.versions[idx - 1] : d.versions.find((v) => v.version === version)
      if (!target) {
        throw new JaegisError('NOT_FOUND', version === undefined ? `function "${name}" has no version before ${d.current} to roll back to` : `function "${name}" has no version ${version} (versions: ${d.versions.map((v) => v.version).join(', ')})`)
      }
      const artifact = await this.versionArtifact(target)
      if (!artifact) throw new JaegisError('INTERNAL', `artifact ${target.digest} of ${name} v${target.version} is missing from the store`, { expose: false })
      const prepared = await this.runtime.prepareAsync(artifact)
      try {
        await this.store.putDeployment({ ...d, current: target.version })
        this.runtime.activate(prepared)
      } catch (err) {
        this.runtime.discard(prepared)
        throw err
      }
      await this.runtime.synced()
      this.failures.delete(name)
      this.log(name, `rolled back to version ${target.version} (${target.digest.slice(0, 12)})`)
      return { name, version: target.version, digest: target.digest, changed: true }
    })
  }

  remove(name: string): Promise<boolean> {
    return this.serial(async () => {
      const existed = await this.store.deleteDeployment(name)
      this.runtime.unload(name)
      await this.runtime.synced()
      this.failures.delete(name)
      if (existed) await this.collect()
      return existed
    })
  }

  /**
   * Removes stored artifacts that no version of any deployment refers to: neither a serving version
   * nor a rollback target. Runs in the deploy queue, so an artifact written for a deploy in progress is
   * never taken; a failure is reported, never fatal (the artifact stays for the next collection).
   */
  collectGarbage(): Promise<string[]> {
    return this.serial(() => this.collect())
  }

  private async collect(): Promise<string[]> {
    const removed: string[] = []
    try {
      const referenced = new Set<string>()
      for (const d of await this.store.listDeployments()) for (const v of d.versions) referenced.add(v.digest)
      for (const digest of await this.store.listArtifacts()) {
        if (referenced.has(digest)) continue
        await this.store.deleteArtifact(digest)
        removed.push(digest)
      }
    } catch (err) {
      this.onError('artifact-collection', err)
    }
    return removed
  }

  /** Loads every deployment's serving version (a broken one is reported, never fatal), then collects unused artifacts. */
  async restore(): Promise<void> {
    for (const d of await this.store.listDeployments()) {
      const v = d.versions.find((x) => x.version === d.current)
      try {
        const artifact = v && (await this.versionArtifact(v))
        if (!artifact) throw new Error(`artifact of version ${d.current} is missing`)
        this.runtime.activate(await this.runtime.prepareAsync(this.admitStored(artifact)))
        await this.runtime.synced()
      } catch (err) {
        const msg = `version ${d.current} failed to load: ${(err as Error).message}`
        this.failures.set(d.name, msg)
        this.log(d.name, msg, 'error')
      }
    }
    await this.collectGarbage()
  }

  /**
   * The stored wasm of a version, with the configuration and signature that version was deployed
   * with (one stored artifact may serve versions with other configs, signed or not): the runtime
   * checks the signature again when it loads, so a key taken off the trust list stops it loading.
   */
  private async versionArtifact(v: DeploymentVersion): Promise<Artifact | undefined> {
    const artifact = await this.store.getArtifact(v.digest)
    if (!artifact) return undefined
    const { signature: _stored, ...meta } = artifact.meta
    return { ...artifact, meta: { ...meta, config: v.config ?? artifact.meta.config, ...(v.signature ? { signature: v.signature } : {}) } }
  }

  status(name: string): FunctionStatus {
    const f = this.failures.get(name)
    return f ? { state: 'failed', error: f } : { state: 'serving' }
  }
}

/** Configurations compared field by field (key order does not matter). */
function sameConfig(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b)
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`
  return JSON.stringify(v)
}
