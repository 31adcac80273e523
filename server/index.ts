// `jaegis serve` as a library: gateway + runtime + admin API + embedded store in one process.
export { startServer } from './server.js'
export type { ServerOptions, JaegisServer } from './server.js'
export { FileStore } from './store/file-store.js'
export type { Store, Deployment, DeploymentVersion, LogRecord } from './store/store.js'
export { API_PREFIX } from './admin.js'
