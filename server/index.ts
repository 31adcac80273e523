// `jaegis serve` as a library (gateway + runtime + admin API + embedded store in one process), and the cluster roles.
export { startServer } from './server.js'
export type { ServerOptions, JaegisServer } from './server.js'
export { FileStore } from './store/file-store.js'
export type { Store, Deployment, DeploymentVersion, LogRecord } from './store/store.js'
export { API_PREFIX } from './admin.js'
// Beyond one machine: hosts and control planes on NATS JetStream (docs/cluster.md).
export { JetStreamStore } from './jetstream/store.js'
export type { JetStreamStoreOptions } from './jetstream/store.js'
export { startControlPlane } from './fleet/control-plane.js'
export type { ControlPlane, ControlPlaneOptions } from './fleet/control-plane.js'
export { startFleetHost } from './fleet/host.js'
export type { FleetHost, FleetHostOptions } from './fleet/host.js'
export type { ClusterPlan, Heartbeat, HostRecord } from './fleet/records.js'
