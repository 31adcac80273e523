// Public entry point of jaegis/runtime: the embeddable isolate host. It never imports the scheduler.
export { JaegisError, TimeoutError, MemoryLimitError, TrapError, isJaegisError } from './errors.js'
export type { ErrorCode } from './errors.js'
export { LruModuleCache, defaultModuleCache, sha256Hex, compileModule } from './module-cache.js'
export type { ModuleCacheOptions } from './module-cache.js'
