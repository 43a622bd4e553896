// The broker: Kafka semantics over the log, without sockets. `handle` takes a decoded request and
// returns the response body (or null when the client expects none: acks=0 produce). One exhaustive
// switch over API keys: a new API in the codec table will not compile until it is handled here.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { LogStore } from '../log/store.ts'
import type { DecodedRequest } from '../protocol/codec/dispatch.ts'
import { KafkaError, type KafkaErrorName } from '../protocol/errors.ts'
import type { ApiMessages } from '../protocol/messages/index.ts'
import type { BrokerContext } from './context.ts'
import { apiVersions, describeCluster, findCoordinator } from './handlers/cluster.ts'
import { alterConfigs, describeConfigs, incrementalAlterConfigs } from './handlers/configs.ts'
import { fetch } from './handlers/fetch.ts'
import { listOffsets } from './handlers/list-offsets.ts'
import { metadata } from './handlers/metadata.ts'
import { produce } from './handlers/produce.ts'
import { createPartitions, createTopics, deleteRecords, deleteTopics } from './handlers/topics.ts'
import { txnOffsetCommitRefused } from './transactions/coordinator.ts'
import { isSupported } from './versions.ts'

type Req<K extends keyof ApiMessages> = ApiMessages[K]['request']
type Res<K extends keyof ApiMessages> = ApiMessages[K]['response']

/** What the broker needs of the consumer-group coordinator. */
export interface GroupApi {
  joinGroup(req: Req<11>, version: number, ctx: { clientId: string; clientHost: string }): Promise<Res<11>>
  syncGroup(req: Req<14>, version: number): Promise<Res<14>>
  heartbeat(req: Req<12>, version: number): Promise<Res<12>>
  leaveGroup(req: Req<13>, version: number): Promise<Res<13>>
  offsetCommit(req: Req<8>, version: number): Promise<Res<8>>
  offsetFetch(req: Req<9>, version: number): Promise<Res<9>>
  offsetDelete(req: Req<47>, version: number): Promise<Res<47>>
  deleteGroups(req: Req<42>, version: number): Promise<Res<42>>
  listGroups(req: Req<16>, version: number): Promise<Res<16>>
  describeGroups(req: Req<15>, version: number): Promise<Res<15>>
  txnOffsetCommit(req: Req<28>, version: number): Promise<Res<28>>
  onTopicDeleted(topic: string): Promise<void>
  close(): Promise<void>
}

/** What the broker needs of the transaction coordinator. */
export interface TransactionApi {
  initProducerId(req: Req<22>, version: number): Promise<Res<22>>
  addPartitionsToTxn(req: Req<24>, version: number): Promise<Res<24>>
  addOffsetsToTxn(req: Req<25>, version: number): Promise<Res<25>>
  endTxn(req: Req<26>, version: number): Promise<Res<26>>
  describeTransactions(req: Req<65>): Promise<Res<65>>
  listTransactions(req: Req<66>, version: number): Promise<Res<66>>
  /** Checks a transactional produce batch before it is appended; the error to answer, or null. */
  verifyProduce(
    transactionalId: string | null,
    records: Buffer,
    topic: string,
    partition: number,
  ): KafkaErrorName | null
  /** Checks a TxnOffsetCommit's producer and transaction; the error to answer, or null. */
  verifyTxnOffsetCommit(req: Req<28>): KafkaErrorName | null
  close(): Promise<void>
}

export interface BrokerOptions {
  store: LogStore
  groups: GroupApi
  transactions: TransactionApi
  nodeId?: number
  advertised: { host: string; port: number }
  autoCreateTopics?: boolean
  defaultPartitions?: number
}

export interface RequestContext {
  clientId: string
  clientHost: string
}

/** Reads or creates the cluster id kept in the data directory (Kafka's 22-character form). */
function clusterIdOf(store: LogStore): string {
  const file = path.join(store.dir, 'cluster-id')
  try {
    return fs.readFileSync(file, 'utf8').trim()
  } catch {
    const id = randomBytes(16).toString('base64url')
    fs.writeFileSync(file, `${id}\n`)
    return id
  }
}

export class Broker implements BrokerContext {
  readonly store: LogStore
  readonly groups: GroupApi
  readonly transactions: TransactionApi
  readonly nodeId: number
  readonly clusterId: string
  advertised: { host: string; port: number }
  readonly autoCreateTopics: boolean
  readonly defaultPartitions: number
  private readonly closer = new AbortController()
  readonly closing: AbortSignal = this.closer.signal

  constructor(options: BrokerOptions) {
    this.store = options.store
    this.groups = options.groups
    this.transactions = options.transactions
    this.nodeId = options.nodeId ?? 1
    this.clusterId = clusterIdOf(options.store)
    this.advertised = options.advertised
    this.autoCreateTopics = options.autoCreateTopics ?? true
    this.defaultPartitions = options.defaultPartitions ?? 1
  }

  /** Serves one request. Throws KafkaError for request-level failures (the server closes the connection). */
  async handle(req: DecodedRequest, ctx: RequestContext): Promise<unknown> {
    if (!isSupported(req.apiKey, req.apiVersion)) {
      throw new KafkaError('UNSUPPORTED_VERSION', `api ${req.apiKey} v${req.apiVersion} is not supported`)
    }
    const v = req.apiVersion
    switch (req.apiKey) {
      case 0: {
        const res = await produce(this, req.body, v, (id, records, topic, partition) =>
          this.transactions.verifyProduce(id, records, topic, partition),
        )
        return req.body.acks === 0 ? null : res
      }
      case 1:
        return fetch(this, req.body)
      case 2:
        return listOffsets(this, req.body)
      case 3:
        return metadata(this, req.body, v)
      case 8:
        return this.groups.offsetCommit(req.body, v)
      case 9:
        return this.groups.offsetFetch(req.body, v)
      case 10:
        return findCoordinator(this, req.body, v)
      case 11:
        return this.groups.joinGroup(req.body, v, ctx)
      case 12:
        return this.groups.heartbeat(req.body, v)
      case 13:
        return this.groups.leaveGroup(req.body, v)
      case 14:
        return this.groups.syncGroup(req.body, v)
      case 15:
        return this.groups.describeGroups(req.body, v)
      case 16:
        return this.groups.listGroups(req.body, v)
      case 18:
        return apiVersions()
      case 19:
        return createTopics(this, req.body)
      case 20:
        return deleteTopics(this, req.body, v, (t) => this.groups.onTopicDeleted(t))
      case 21:
        return deleteRecords(this, req.body)
      case 32:
        return describeConfigs(this, req.body)
      case 33:
        return alterConfigs(this, req.body)
      case 37:
        return createPartitions(this, req.body)
      case 42:
        return this.groups.deleteGroups(req.body, v)
      case 44:
        return incrementalAlterConfigs(this, req.body)
      case 47:
        return this.groups.offsetDelete(req.body, v)
      case 60:
        return describeCluster(this, req.body)
      case 22:
        return this.transactions.initProducerId(req.body, v)
      case 24:
        return this.transactions.addPartitionsToTxn(req.body, v)
      case 25:
        return this.transactions.addOffsetsToTxn(req.body, v)
      case 26:
        return this.transactions.endTxn(req.body, v)
      case 28: {
        // The transaction coordinator vouches for the producer; the group coordinator writes.
        const refused = this.transactions.verifyTxnOffsetCommit(req.body)
        if (refused) return txnOffsetCommitRefused(req.body, refused)
        return this.groups.txnOffsetCommit(req.body, v)
      }
      case 65:
        return this.transactions.describeTransactions(req.body)
      case 66:
        return this.transactions.listTransactions(req.body, v)
      case 17:
      case 27:
      case 36:
        throw new KafkaError('UNSUPPORTED_VERSION', `api ${req.apiKey} is not served by this broker`)
      default: {
        const unhandled: never = req
        throw new Error(`unhandled api ${(unhandled as DecodedRequest).apiKey}`)
      }
    }
  }

  /**
   * Wakes long polls and stops the transaction coordinator (which finishes markers in flight) and
   * then the group coordinator; the store is closed by its owner.
   */
  async close(): Promise<void> {
    this.closer.abort()
    await this.transactions.close()
    await this.groups.close()
  }
}
