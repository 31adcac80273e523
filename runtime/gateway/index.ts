// The HTTP gateway of the runtime: serve functions with node:http on an edge host.
export { createGateway } from './gateway.js'
export type { GatewayHandler, GatewayOptions } from './gateway.js'
export { STATUS_BY_CODE, errorBody, sendError, defaultErrorLogger } from './errors.js'
export type { ErrorLogger } from './errors.js'
export { readBody } from './body.js'
