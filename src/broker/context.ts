// What request handlers see of the broker: its identity, its address and its storage.
import type { LogStore } from '../log/store.ts'

export interface BrokerContext {
  readonly store: LogStore
  readonly nodeId: number
  readonly clusterId: string
  readonly advertised: { host: string; port: number }
  readonly autoCreateTopics: boolean
  readonly defaultPartitions: number
  /** Aborted when the broker begins shutting down; long polls end early on it. A signal rather than a
   * promise so that each waiter can remove its listener (a pending promise would keep every one). */
  readonly closing: AbortSignal
}
