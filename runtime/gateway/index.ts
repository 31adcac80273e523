// The HTTP gateway of the runtime: serve functions with node:http on an edge host.
export { createGateway } from './gateway.js'
export type { GatewayCore, GatewayHandler, GatewayOptions, GatewayTarget } from './gateway.js'
export { acceptFastConnections } from './http1.js'
export type { FastConnectionOptions, FastConnections } from './http1.js'
export { STATUS_BY_CODE, errorBody, errorResponse, sendError, defaultErrorLogger } from './errors.js'
export type { ErrorLogger, WireResponse } from './errors.js'
export { readBody } from './body.js'
