// Riffle in one process: the log store, the group and transaction coordinators, the broker and its
// listeners, started in order and stopped in reverse. The CLI's `serve` and in-process tests both start it here.
import { Broker } from '../broker/broker.ts'
import { GroupCoordinator } from '../broker/groups/index.ts'
import { TransactionCoordinator } from '../broker/transactions/index.ts'
import { childLogger } from '../core/logging.ts'
import { LogStore } from '../log/store.ts'
import { type HttpServer, startHttp } from './http/server.ts'
import { KafkaListener } from './kafka/listener.ts'

export interface HostPort {
  host: string
  port: number
}

export interface PlatformOptions {
  dataDir: string
  kafka: HostPort
  /** The address clients are told to connect to; defaults to the bound Kafka address. */
  advertise?: HostPort
  /** null: no HTTP listener. */
  http: HostPort | null
  defaultPartitions: number
  autoCreateTopics: boolean
  maxRequestBytes: number
  topicDefaults: Record<string, string>
  /** Kafka's group.initial.rebalance.delay.ms. */
  initialRebalanceDelayMs: number
  maintenanceIntervalMs?: number
  /** Kafka's transaction.max.timeout.ms (default 15 minutes). */
  transactionMaxTimeoutMs?: number
  /** How often timed-out transactions are aborted (default 1 s). */
  transactionAbortScanIntervalMs?: number
}

export interface Platform {
  kafka: HostPort
  http: HostPort | null
  store: LogStore
  broker: Broker
  close(): Promise<void>
}

export async function startPlatform(o: PlatformOptions): Promise<Platform> {
  const log = childLogger('platform')
  const store = LogStore.open(o.dataDir, {
    defaults: o.topicDefaults,
    maintenanceIntervalMs: o.maintenanceIntervalMs,
  })
  let groups: GroupCoordinator | null = null
  let transactions: TransactionCoordinator | null = null
  let listener: KafkaListener | null = null
  let http: HttpServer | null = null
  try {
    groups = await GroupCoordinator.open({ store, initialRebalanceDelayMs: o.initialRebalanceDelayMs })
    // After the groups: completing transactions left half-done writes markers to their offsets.
    transactions = await TransactionCoordinator.open({
      store,
      offsets: groups,
      maxTimeoutMs: o.transactionMaxTimeoutMs,
      abortScanIntervalMs: o.transactionAbortScanIntervalMs,
    })
    const broker = new Broker({
      store,
      groups,
      transactions,
      advertised: o.advertise ?? o.kafka,
      autoCreateTopics: o.autoCreateTopics,
      defaultPartitions: o.defaultPartitions,
    })
    listener = await KafkaListener.listen(broker, { ...o.kafka, maxRequestBytes: o.maxRequestBytes })
    // With port 0 the bound port is known only now; advertise it unless told otherwise.
    if (!o.advertise) broker.advertised = listener.address
    http = o.http ? await startHttp(store, o.http.host, o.http.port) : null
    const kafkaListener = listener
    const httpServer = http
    let closing: Promise<void> | null = null
    return {
      kafka: listener.address,
      http: http?.address ?? null,
      store,
      broker,
      close() {
        closing ??= (async () => {
          kafkaListener.stopAccepting()
          await broker.close() // ends long polls and pending group joins with answers
          await kafkaListener.drain()
          await httpServer?.close()
          await store.close()
          log.info('stopped')
        })()
        return closing
      },
    }
  } catch (e) {
    listener?.stopAccepting()
    await http?.close()
    await transactions?.close()
    await groups?.close()
    await store.close()
    throw e
  }
}
