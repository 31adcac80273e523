// Public entry point of jaegis/artifact: what an artifact's configuration may hold (names, limits and
// their ranges, reserved routes, capabilities). Imported by the compiler, the runtime and the server;
// it imports none of them. Also the artifact's signatures (signing/): keys, the signed message, trust lists.
export type { FunctionConfig } from './config.js'
export { LIMITS, POOL_LIMITS, MEMORY_BYTES, WASM_PAGE_BYTES, ARGS_LIMITS, MEMORY_LIMIT_ACTIONS, RESPONSE_FILE_RULE, argsProblem, responseFileProblem, inRange, poolProblem } from './limits.js'
export { MANIFEST_FIELDS, COMPONENT_ONLY_FIELDS, unknownFieldProblem } from './manifest-fields.js'
export type { ManifestTable } from './manifest-fields.js'
export type { IntRange, MemoryLimitAction } from './limits.js'
export { FUNCTION_NAME_PATTERN, FUNCTION_NAME_RULE, ENV_NAME_PATTERN, isFunctionName } from './names.js'
export { RESERVED_ROUTE_PREFIXES, ROUTE_RULE, isReservedPath, routeProblem } from './routes.js'
export { checkFunctionConfig, show } from './check.js'
export type { ConfigCheck } from './check.js'
export { JaegisError, isJaegisError } from './errors.js'
export type { ErrorCode } from './errors.js'
export * as wasmBinary from './wasm/binary.js'
export * from './signing/index.js'
