// Non-core artifacts: jco-transpiled components (wasi:http and wasi:cli) and WASI preview-1 command
// modules. The Runtime hands any artifact whose kind is not "core" to createNonCoreHost.
import type { Artifact } from '../artifact.js'
import type { LogLevel } from '../instance.js'
import type { LruModuleCache } from '../module-cache.js'
import { CommandHost } from '../wasi/command-host.js'
import { ComponentHost } from './component-host.js'
import type { NonCoreHost } from './pool-host.js'

export interface NonCoreHostOptions {
  moduleCache: LruModuleCache
  fuelPerCheck: number
  onLog(level: LogLevel, message: string): void
}

/** Builds the host for a 'component' or 'wasi' artifact; its first instance is created (and checked) here. */
export function createNonCoreHost(artifact: Artifact, options: NonCoreHostOptions): { host: NonCoreHost; cached: boolean } {
  const host = artifact.meta.kind === 'wasi' ? new CommandHost(artifact, options) : new ComponentHost(artifact, options)
  return { host, cached: host.cached }
}

export type { NonCoreHost } from './pool-host.js'
export { NON_CORE_KINDS, isNonCoreKind, checkComponentParts, readComponentPartsSync } from './artifact.js'
export type { ComponentMeta, ComponentWorld, CoreModulePart, NonCoreKind } from './artifact.js'
export { cgiEnvironment, parseCgiOutput } from './cgi.js'
export { outboundAllowed, checkOutboundRule } from './wasi/outbound.js'
export { PROVIDED_INTERFACES } from './wasi/preview2.js'
export { PREVIEW1_MODULE } from '../wasi/preview1.js'
