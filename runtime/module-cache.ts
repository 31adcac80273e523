// Compiles wasm bytes once per process and caches the WebAssembly.Module by sha256 digest.
// Bounded in bytes (lru-cache). Modules can be posted to worker threads; across processes we recompile.
import { createHash } from 'node:crypto'
import { LRUCache } from 'lru-cache'
import { JaegisError } from './errors.js'

/** sha256 of `bytes` as lowercase hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** sha256Hex on the thread pool (WebCrypto): for large inputs on a thread that serves requests. */
export async function sha256HexAsync(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)).toString('hex')
}

/** Hashes computed ahead (sha256HexAsync), by the byte array they are of. */
export type KnownHashes = ReadonlyMap<Uint8Array, string>

export interface ModuleCacheOptions {
  /** Upper bound on the summed wasm byte sizes of cached modules. @default 256 MiB */
  maxBytes?: number
}

/** LRU cache of compiled modules keyed by digest, bounded by the size of the wasm they came from. */
export class LruModuleCache {
  private readonly cache: LRUCache<string, WebAssembly.Module>
  private compiles = 0
  private hits = 0

  constructor(options: ModuleCacheOptions = {}) {
    this.cache = new LRUCache({ maxSize: options.maxBytes ?? 256 * 1024 * 1024, sizeCalculation: (_m, key) => this.sizes.get(key) ?? 1, dispose: (_m, key) => this.sizes.delete(key) })
  }

  private readonly sizes = new Map<string, number>()

  /** The compiled module for `bytes`, compiling at most once per digest. `digest` saves rehashing when known. */
  get(bytes: Uint8Array, digest: string = sha256Hex(bytes)): { module: WebAssembly.Module; digest: string; cached: boolean } {
    const hit = this.cache.get(digest)
    if (hit) {
      this.hits++
      return { module: hit, digest, cached: true }
    }
    const module = compileModule(bytes)
    this.compiles++
    this.sizes.set(digest, Math.max(1, bytes.byteLength))
    this.cache.set(digest, module)
    return { module, digest, cached: false }
  }

  /** A cached module by digest, if present. */
  peek(digest: string): WebAssembly.Module | undefined {
    return this.cache.get(digest)
  }

  /** Cached modules whose key starts with `prefix`, with their sizes (to hand to another thread's cache). */
  entriesWithPrefix(prefix: string): Array<[key: string, module: WebAssembly.Module, sizeBytes: number]> {
    const out: Array<[string, WebAssembly.Module, number]> = []
    for (const [key, module] of this.cache.entries()) if (key.startsWith(prefix)) out.push([key, module, this.sizes.get(key) ?? 1])
    return out
  }

  /** Adds a module compiled elsewhere (another thread posted it) under `key`. */
  put(key: string, module: WebAssembly.Module, sizeBytes: number): void {
    if (this.cache.has(key)) return
    this.sizes.set(key, Math.max(1, sizeBytes))
    this.cache.set(key, module)
  }

  delete(digest: string): void {
    this.cache.delete(digest)
  }

  stats(): { entries: number; bytes: number; compiles: number; hits: number } {
    return { entries: this.cache.size, bytes: this.cache.calculatedSize, compiles: this.compiles, hits: this.hits }
  }
}

/** Compiles synchronously, turning V8's CompileError into INVALID_WASM with its reason. */
export function compileModule(bytes: Uint8Array): WebAssembly.Module {
  try {
    return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    throw new JaegisError('INVALID_WASM', `not a valid WebAssembly module: ${(err as Error).message.replace(/^WebAssembly\.Module\(\): /, '')}`, { cause: err })
  }
}

/** Compiles on V8's background threads (the calling thread only waits), with compileModule's errors. */
export async function compileModuleAsync(bytes: Uint8Array): Promise<WebAssembly.Module> {
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
  } catch (err) {
    throw new JaegisError('INVALID_WASM', `not a valid WebAssembly module: ${(err as Error).message.replace(/^WebAssembly\.compile\(\): /, '')}`, { cause: err })
  }
}

/** The process-wide cache that kernels and runtimes share unless given their own. */
export const defaultModuleCache = new LruModuleCache()
