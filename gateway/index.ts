// Public entry point of jaegis/gateway: the HTTP trigger that feeds the runtime (node:http and the fast path).
export { createGateway } from './gateway.js'
export type { GatewayCore, GatewayHandler, GatewayOptions, GatewayTarget } from './gateway.js'
export { acceptFastConnections } from './http1.js'
export type { FastConnectionOptions, FastConnections } from './http1.js'
export { STATUS_BY_CODE, ClientGoneError, errorBody, errorResponse, sendError, defaultErrorLogger } from './errors.js'
export { FRAMING_HEADERS, isFramingHeader, statusHasBody } from './framing.js'
export type { ErrorLogger, WireResponse } from './errors.js'
export { clientGone, readBody } from './body.js'
