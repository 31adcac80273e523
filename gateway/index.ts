// Public entry point of jaegis/gateway: the HTTP trigger that feeds the runtime (node:http and the fast path).
export { createGateway } from './gateway.js'
export type { GatewayCore, GatewayHandler, GatewayOptions, GatewayTarget } from './gateway.js'
export { acceptFastConnections } from './http1.js'
export type { FastConnectionOptions, FastConnections } from './http1.js'
export { STATUS_BY_CODE, errorBody, errorResponse, sendError, defaultErrorLogger } from './errors.js'
export type { ErrorLogger, WireResponse } from './errors.js'
export { readBody } from './body.js'
