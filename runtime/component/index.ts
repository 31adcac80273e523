// Non-core artifacts: jco-transpiled components (wasi:http and wasi:cli) and WASI preview-1 command
// modules. The Runtime hands any artifact whose kind is not "core" to createNonCoreHost.
import type { Artifact } from '../artifact.js'
import type { LogLevel } from '../instance.js'
import type { LruModuleCache } from '../module-cache.js'
import { InstancePool, type FunctionHost } from '../pool/instance-pool.js'
import { CommandStrategy } from '../wasi/command-host.js'
import { ComponentStrategy } from './component-host.js'

/** A host of a component or command module: the same as any FunctionHost (kept as a name of the public API). */
export type NonCoreHost = FunctionHost

export interface NonCoreHostOptions {
  moduleCache: LruModuleCache
  fuelPerCheck: number
  onLog(level: LogLevel, message: string): void
  /** Warm new component instances up before they serve (component-host.ts, HostOptions.warmUp). @default false */
  warmUp?: boolean
}

/** Builds the host for a 'component' or 'wasi' artifact; its first instance is created (and checked) here. */
export function createNonCoreHost(artifact: Artifact, options: NonCoreHostOptions): { host: NonCoreHost; cached: boolean } {
  const { config, digest } = artifact.meta
  if (artifact.meta.kind === 'wasi') {
    const strategy = new CommandStrategy(artifact, options)
    return { host: new InstancePool(strategy, config, digest), cached: strategy.cached }
  }
  const strategy = new ComponentStrategy(artifact, options)
  return { host: new InstancePool(strategy, config, digest), cached: strategy.cached }
}
export { NON_CORE_KINDS, isNonCoreKind, checkComponentParts, readComponentPartsSync } from './artifact.js'
export type { ComponentMeta, ComponentWorld, CoreModulePart, FileMapping, NonCoreKind } from './artifact.js'
export { cgiEnvironment, parseCgiOutput } from './cgi.js'
export { outboundAllowed, checkOutboundRule } from './wasi/outbound.js'
export { PROVIDED_INTERFACES } from './wasi/preview2.js'
export { PREVIEW1_MODULE } from '../wasi/preview1.js'
