// One NATS connection per process, reconnecting forever: a restarted nats-server is ridden out by the
// client library (subscriptions and KV watches resume), never by restarting the Jaegis process.
import { connect } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/nats-core'

export interface NatsConnectOptions {
  /** Connection name shown by the server's monitoring. */
  name?: string
  /** Delay between reconnect attempts, ms. @default 250 */
  reconnectTimeWaitMs?: number
}

export async function connectNats(url: string, options: NatsConnectOptions = {}): Promise<NatsConnection> {
  return connect({
    servers: url.split(',').map((s) => s.trim()),
    ...(options.name ? { name: options.name } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: options.reconnectTimeWaitMs ?? 250,
    waitOnFirstConnect: true,
    // The client pings every 2 s and counts a stale server after 2 unanswered pings: a restarted
    // server is noticed within ~4 s even when the socket lingers half-open.
    pingInterval: 2_000,
    maxPingOut: 2,
  })
}
