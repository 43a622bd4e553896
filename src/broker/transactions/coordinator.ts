// The transaction coordinator (KIP-98 and successors): producer ids for idempotent and transactional
// producers, and each transactional id's state machine
//
//   Empty ──AddPartitions──▶ Ongoing ──EndTxn──▶ PrepareCommit ──markers──▶ CompleteCommit
//                               │                PrepareAbort  ──markers──▶ CompleteAbort
//                               └──timeout / new producer: epoch bump ──▶ PrepareAbort
//
// durable in `__transaction_state`. It follows Kafka's TransactionCoordinator state by state and
// error by error, because clients are written against that behaviour. Every transition is appended
// and durable before memory changes and before it is answered (memory is always the replay of the
// durable log); a transition in flight is Kafka's "pending state", during which other requests for
// that id wait for it (Kafka answers CONCURRENT_TRANSACTIONS and lets the client retry; waiting
// gives the same outcome sooner). EndTxn answers once PrepareCommit/PrepareAbort is durable, then
// writes a marker to every partition of the transaction (to `__consumer_offsets` through the group
// coordinator, which resolves the transaction's offsets) and finally records CompleteCommit or
// CompleteAbort. On start, Prepare* transactions are completed; a timer aborts transactions older
// than their timeout, bumping the epoch so that the producer, if it still lives, is fenced.
import { isRiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import { type Clock, systemClock } from '../../core/time.ts'
import type { LogStore } from '../../log/store.ts'
import { type KafkaErrorName, errorCode } from '../../protocol/errors.ts'
import type {
  AddOffsetsToTxnRequest,
  AddOffsetsToTxnResponse,
} from '../../protocol/messages/add-offsets-to-txn.ts'
import type {
  AddPartitionsToTxnPartitionResult,
  AddPartitionsToTxnRequest,
  AddPartitionsToTxnResponse,
} from '../../protocol/messages/add-partitions-to-txn.ts'
import type {
  DescribeTransactionsRequest,
  DescribeTransactionsResponse,
} from '../../protocol/messages/describe-transactions.ts'
import type { EndTxnRequest, EndTxnResponse } from '../../protocol/messages/end-txn.ts'
import type {
  InitProducerIdRequest,
  InitProducerIdResponse,
} from '../../protocol/messages/init-producer-id.ts'
import type {
  ListTransactionsRequest,
  ListTransactionsResponse,
} from '../../protocol/messages/list-transactions.ts'
import type {
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
} from '../../protocol/messages/txn-offset-commit.ts'
import * as L from '../../protocol/records/layout.ts'
import { TransactionStateLog } from './txn-log.ts'
import { TXN_STATES, type TxnRecord, type TxnState } from './txn-records.ts'

/** A commit/abort marker for one producer, as written to a partition. */
export interface TxnMarker {
  producerId: bigint
  producerEpoch: number
  commit: boolean
  coordinatorEpoch: number
}

/** What the coordinator needs of the group coordinator: markers on the offsets partition. */
export interface TxnOffsetsPartner {
  /** The internal topic holding committed offsets (its partitions take part in transactions). */
  readonly offsetsTopic: string
  /** Writes `marker` to the offsets partition and commits or discards the producer's pending offsets. */
  completeTxnOffsets(partition: number, marker: TxnMarker): Promise<void>
}

export interface TransactionCoordinatorOptions {
  store: LogStore
  offsets: TxnOffsetsPartner
  clock?: Clock
  /** Kafka's transaction.max.timeout.ms: larger transaction.timeout.ms values are refused. */
  maxTimeoutMs?: number
  /** How often timed-out transactions are looked for (Kafka's transaction.abort.timed.out.transaction.cleanup.interval.ms). */
  abortScanIntervalMs?: number
  /** Producer ids reserved per durable block record. */
  producerIdBlockSize?: number
}

interface TxnMeta {
  readonly transactionalId: string
  producerId: bigint
  /** The producer id before the last rotation (memory only, as in Kafka), or -1. */
  lastProducerId: bigint
  producerEpoch: number
  /** The epoch before the last bump by the same producer (KIP-360 retries), or -1. */
  lastProducerEpoch: number
  timeoutMs: number
  state: TxnState
  partitions: Map<string, Set<number>>
  startTimestamp: number
  lastUpdateTimestamp: number
  /** The transition being written, if any: Kafka's pending state. */
  transition: Promise<unknown> | null
  /** Markers being written for PrepareCommit/PrepareAbort; resolves true once Complete* is durable. */
  completion: Promise<boolean> | null
}

type Transition = Partial<Omit<TxnMeta, 'transactionalId' | 'transition' | 'completion'>>

const NO_EPOCH = -1
const MAX_EPOCH = 32767
const COORDINATOR_EPOCH = 0
/** How often a request waits for a transition in flight before answering CONCURRENT_TRANSACTIONS. */
const MAX_WAITS = 3
const log = childLogger('transactions')

const isEpochExhausted = (epoch: number): boolean => epoch >= MAX_EPOCH - 1

/** The fencing error of each API version: PRODUCER_FENCED exists from these versions on (KIP-588). */
function fencedError(apiKey: 22 | 24 | 25 | 26, version: number): KafkaErrorName {
  const since = apiKey === 22 ? 4 : 2
  return version >= since ? 'PRODUCER_FENCED' : 'INVALID_PRODUCER_EPOCH'
}

/** The error a failed append to `__transaction_state` answers with, as Kafka maps it. */
function appendError(e: unknown): KafkaErrorName {
  if (isRiffleError(e, 'CLOSED')) return 'NOT_COORDINATOR'
  if (isRiffleError(e, 'RECORD_TOO_LARGE')) return 'UNKNOWN_SERVER_ERROR'
  return 'COORDINATOR_NOT_AVAILABLE'
}

function toRecord(m: TxnMeta): TxnRecord {
  const partitions = new Map<string, number[]>()
  for (const [topic, set] of [...m.partitions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    if (set.size > 0)
      partitions.set(
        topic,
        [...set].sort((a, b) => a - b),
      )
  return {
    producerId: m.producerId,
    producerEpoch: m.producerEpoch,
    timeoutMs: m.timeoutMs,
    state: m.state,
    partitions,
    lastUpdateTimestamp: m.lastUpdateTimestamp,
    startTimestamp: m.startTimestamp,
  }
}

export class TransactionCoordinator {
  private readonly store: LogStore
  private readonly offsets: TxnOffsetsPartner
  private readonly clock: Clock
  private readonly txnLog: TransactionStateLog
  private readonly maxTimeoutMs: number
  private readonly blockSize: bigint
  private readonly txns = new Map<string, TxnMeta>()
  private readonly inFlight = new Set<Promise<unknown>>()
  private nextProducerId: bigint
  private blockEnd: bigint
  private allocating: Promise<void> | null = null
  private timer: NodeJS.Timeout | null = null
  private closed = false

  private constructor(
    options: TransactionCoordinatorOptions,
    txnLog: TransactionStateLog,
    nextBlockStart: bigint,
  ) {
    this.store = options.store
    this.offsets = options.offsets
    this.clock = options.clock ?? systemClock
    this.txnLog = txnLog
    this.maxTimeoutMs = options.maxTimeoutMs ?? 900_000
    this.blockSize = BigInt(options.producerIdBlockSize ?? 1000)
    // Ids of a block that was not used up before a restart are skipped, as in Kafka.
    this.nextProducerId = nextBlockStart
    this.blockEnd = nextBlockStart
  }

  /**
   * Opens (creating if needed) `__transaction_state`, replays it, completes transactions that were
   * between PrepareCommit/PrepareAbort and Complete*, and starts the timeout scan.
   */
  static async open(options: TransactionCoordinatorOptions): Promise<TransactionCoordinator> {
    const { log: txnLog, state } = await TransactionStateLog.open(options.store)
    const c = new TransactionCoordinator(options, txnLog, state.nextBlockStart)
    for (const [id, r] of state.transactions) {
      c.txns.set(id, {
        transactionalId: id,
        producerId: r.producerId,
        lastProducerId: -1n,
        producerEpoch: r.producerEpoch,
        lastProducerEpoch: NO_EPOCH,
        timeoutMs: r.timeoutMs,
        state: r.state,
        partitions: new Map([...r.partitions].map(([t, ps]) => [t, new Set(ps)])),
        startTimestamp: r.startTimestamp,
        lastUpdateTimestamp: r.lastUpdateTimestamp,
        transition: null,
        completion: null,
      })
    }
    let resumed = 0
    for (const m of c.txns.values()) {
      if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') {
        void c.complete(m)
        resumed++
      }
    }
    if (c.txns.size > 0) log.info({ transactionalIds: c.txns.size, resumed }, 'loaded transaction state')
    const every = options.abortScanIntervalMs ?? 1000
    if (every > 0) {
      c.timer = setInterval(() => c.scan(), every)
      c.timer.unref()
    }
    return c
  }

  // ----- producer ids

  /** A producer id never handed out before, even across restarts (blocks are recorded first). */
  async allocateProducerId(): Promise<bigint> {
    while (this.nextProducerId >= this.blockEnd) {
      if (!this.allocating) {
        const end = this.blockEnd + this.blockSize
        const write = this.txnLog.writeProducerIdBlock(end, this.clock.now()).then(() => {
          this.blockEnd = end
        })
        this.allocating = write
        const clear = (): void => {
          this.allocating = null
        }
        write.then(clear, clear)
      }
      await this.allocating
    }
    const id = this.nextProducerId
    this.nextProducerId++
    return id
  }

  // ----- transitions

  /** Appends `meta` with `next` applied; memory changes only once that is durable. */
  private transit(meta: TxnMeta, next: Transition): Promise<KafkaErrorName | null> {
    const now = this.clock.now()
    const target: TxnMeta = { ...meta, lastUpdateTimestamp: now, ...next }
    const done = this.txnLog.writeTransaction(meta.transactionalId, toRecord(target), now).then(
      () => {
        Object.assign(meta, { lastUpdateTimestamp: now, ...next })
        return null
      },
      (e: unknown) => {
        log.warn({ transactionalId: meta.transactionalId, err: e }, 'writing transaction state failed')
        return appendError(e)
      },
    )
    meta.transition = done
    this.track(done)
    const clear = (): void => {
      if (meta.transition === done) meta.transition = null
    }
    done.then(clear, clear)
    return done
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p)
    const untrack = (): void => {
      this.inFlight.delete(p)
    }
    p.then(untrack, untrack)
  }

  /**
   * Waits for what `meta` has in flight (a transition or the markers of Prepare*). Returns false when
   * nothing was in flight, so the caller answers instead of looping.
   */
  private async settle(meta: TxnMeta): Promise<boolean> {
    const busy = meta.transition ?? meta.completion
    if (!busy) return false
    await busy.catch(() => {})
    return true
  }

  /**
   * Writes the markers of a PrepareCommit/PrepareAbort transaction, then records Complete*. Resolves
   * false if that could not be done now (the timer retries).
   */
  private complete(meta: TxnMeta): Promise<boolean> {
    if (meta.completion) return meta.completion
    const run = async (): Promise<boolean> => {
      if (meta.transition) await meta.transition.catch(() => {})
      if (meta.state !== 'PrepareCommit' && meta.state !== 'PrepareAbort') return false
      const commit = meta.state === 'PrepareCommit'
      const marker: TxnMarker = {
        producerId: meta.producerId,
        producerEpoch: meta.producerEpoch,
        commit,
        coordinatorEpoch: COORDINATOR_EPOCH,
      }
      try {
        await Promise.all(
          [...meta.partitions].flatMap(([topic, partitions]) =>
            [...partitions].map(async (p) => {
              if (topic === this.offsets.offsetsTopic) return this.offsets.completeTxnOffsets(p, marker)
              // A partition whose topic was deleted meanwhile needs no marker.
              const partition = this.store.partition(topic, p)
              if (partition) await partition.appendMarker(marker)
            }),
          ),
        )
      } catch (e) {
        log.warn(
          { transactionalId: meta.transactionalId, err: e },
          'writing transaction markers failed; will retry',
        )
        return false
      }
      const error = await this.transit(meta, {
        state: commit ? 'CompleteCommit' : 'CompleteAbort',
        partitions: new Map(),
      })
      if (error === null)
        log.debug(
          { transactionalId: meta.transactionalId, producerId: meta.producerId, commit },
          'transaction completed',
        )
      return error === null
    }
    const p = run()
    meta.completion = p
    this.track(p)
    const clear = (): void => {
      if (meta.completion === p) meta.completion = null
    }
    p.then(clear, clear)
    return p
  }

  /**
   * Aborts an Ongoing transaction on the coordinator's own initiative (timeout, or a new producer
   * for the id): the epoch is bumped first so that the current producer is fenced everywhere the
   * markers go. Resolves true once CompleteAbort is durable.
   */
  private async fenceAndAbort(meta: TxnMeta): Promise<boolean> {
    const epoch = meta.producerEpoch < MAX_EPOCH ? meta.producerEpoch + 1 : meta.producerEpoch
    const error = await this.transit(meta, {
      state: 'PrepareAbort',
      producerEpoch: epoch,
      lastProducerEpoch: NO_EPOCH,
    })
    if (error !== null) return false
    log.info(
      { transactionalId: meta.transactionalId, producerId: meta.producerId, epoch },
      'aborting transaction and fencing its producer',
    )
    return this.complete(meta)
  }

  /** Aborts Ongoing transactions past their timeout and retries unfinished completions. */
  scan(): Promise<void> {
    if (this.closed) return Promise.resolve()
    const now = this.clock.now()
    const work: Promise<unknown>[] = []
    for (const m of this.txns.values()) {
      if (m.transition || m.completion) continue
      if (m.state === 'Ongoing' && m.startTimestamp + m.timeoutMs < now) work.push(this.fenceAndAbort(m))
      else if (m.state === 'PrepareCommit' || m.state === 'PrepareAbort') work.push(this.complete(m))
    }
    return Promise.all(work).then(() => {})
  }

  // ----- InitProducerId

  async initProducerId(req: InitProducerIdRequest, version: number): Promise<InitProducerIdResponse> {
    const answer = (name: KafkaErrorName, producerId = -1n, producerEpoch = NO_EPOCH) => ({
      throttleTimeMs: 0,
      errorCode: errorCode(name),
      producerId,
      producerEpoch,
    })
    if (this.closed) return answer('NOT_COORDINATOR')
    const expected =
      version >= 3 && req.producerId >= 0n ? { producerId: req.producerId, epoch: req.producerEpoch } : null
    if (version >= 3 && req.producerId >= 0n !== req.producerEpoch >= 0) return answer('INVALID_REQUEST')
    try {
      // Idempotent producers: a fresh id, epoch 0, nothing else to remember.
      if (req.transactionalId === null) return answer('NONE', await this.allocateProducerId(), 0)
    } catch (e) {
      return answer(appendError(e))
    }
    const id = req.transactionalId
    if (id === '') return answer('INVALID_REQUEST')
    if (req.transactionTimeoutMs <= 0 || req.transactionTimeoutMs > this.maxTimeoutMs)
      return answer('INVALID_TRANSACTION_TIMEOUT')
    let meta = this.txns.get(id)
    if (!meta) {
      let producerId: bigint
      try {
        producerId = await this.allocateProducerId()
      } catch (e) {
        return answer(appendError(e))
      }
      meta = this.txns.get(id)
      if (!meta) {
        meta = {
          transactionalId: id,
          producerId,
          lastProducerId: -1n,
          producerEpoch: NO_EPOCH,
          lastProducerEpoch: NO_EPOCH,
          timeoutMs: req.transactionTimeoutMs,
          state: 'Empty',
          partitions: new Map(),
          startTimestamp: -1,
          lastUpdateTimestamp: this.clock.now(),
          transition: null,
          completion: null,
        }
        this.txns.set(id, meta)
      }
    }
    const fenced = fencedError(22, version)
    for (let waits = 0; ; waits++) {
      if (this.closed) return answer('NOT_COORDINATOR')
      const busy = meta.transition !== null || meta.completion !== null
      if (busy) {
        if (waits < MAX_WAITS && (await this.settle(meta))) continue
        return answer('CONCURRENT_TRANSACTIONS')
      }
      if (expected && !this.isValidProducerId(meta, expected)) return answer(fenced)
      switch (meta.state) {
        case 'PrepareCommit':
        case 'PrepareAbort':
          // Markers not written yet (a failed attempt the timer retries).
          if (waits < MAX_WAITS && (await this.complete(meta))) continue
          return answer('CONCURRENT_TRANSACTIONS')
        case 'Ongoing':
          // A new incarnation of the producer: abort what the old one left open, fencing it, then
          // bump the epoch again for the new one (Kafka does the second step on the client's retry).
          if (waits < MAX_WAITS && (await this.fenceAndAbort(meta))) continue
          return answer('CONCURRENT_TRANSACTIONS')
        case 'Empty':
        case 'CompleteCommit':
        case 'CompleteAbort': {
          const before = { producerId: meta.producerId, producerEpoch: meta.producerEpoch, state: meta.state }
          const next = await this.nextProducerIdAndEpoch(meta, expected)
          const changed =
            meta.transition !== null ||
            meta.completion !== null ||
            meta.producerId !== before.producerId ||
            meta.producerEpoch !== before.producerEpoch ||
            meta.state !== before.state
          // Another request changed the id while this one waited: look again.
          if (changed && waits < MAX_WAITS) continue
          if (changed) return answer('CONCURRENT_TRANSACTIONS')
          if (typeof next === 'string') return answer(next === 'FENCED' ? fenced : next)
          const error = await this.transit(meta, {
            ...next,
            timeoutMs: req.transactionTimeoutMs,
            state: 'Empty',
            partitions: new Map(),
            startTimestamp: -1,
          })
          if (error !== null) return answer(error)
          log.debug(
            { transactionalId: id, producerId: meta.producerId, epoch: meta.producerEpoch },
            'initialised transactional producer',
          )
          return answer('NONE', meta.producerId, meta.producerEpoch)
        }
        default:
          return answer('INVALID_TXN_STATE')
      }
    }
  }

  /** Kafka's isValidProducerId for InitProducerId requests that name the producer's current id (KIP-360). */
  private isValidProducerId(meta: TxnMeta, expected: { producerId: bigint; epoch: number }): boolean {
    return (
      meta.producerEpoch === NO_EPOCH ||
      expected.producerId === meta.producerId ||
      (expected.producerId === meta.lastProducerId && isEpochExhausted(expected.epoch))
    )
  }

  /**
   * The producer id and epoch InitProducerId hands out: the epoch bumped, or a new producer id once
   * the epoch is exhausted. 'FENCED' for a stale producer. The caller checks that nothing changed
   * while a new producer id was being allocated.
   */
  private async nextProducerIdAndEpoch(
    meta: TxnMeta,
    expected: { producerId: bigint; epoch: number } | null,
  ): Promise<Transition | 'FENCED' | KafkaErrorName> {
    if (isEpochExhausted(meta.producerEpoch) && (!expected || expected.epoch === meta.producerEpoch)) {
      let producerId: bigint
      try {
        producerId = await this.allocateProducerId()
      } catch (e) {
        return appendError(e)
      }
      return {
        producerId,
        producerEpoch: 0,
        lastProducerId: meta.producerId,
        lastProducerEpoch: expected ? meta.producerEpoch : NO_EPOCH,
      }
    }
    const bumped = meta.producerEpoch + 1
    // No expected epoch: a new producer instance, which fences every older one.
    if (!expected) return { producerEpoch: bumped, lastProducerEpoch: NO_EPOCH }
    if (meta.producerEpoch === NO_EPOCH || expected.epoch === meta.producerEpoch)
      return { producerEpoch: bumped, lastProducerEpoch: meta.producerEpoch }
    // A retry of a bump that succeeded but whose answer was lost.
    if (expected.epoch === meta.lastProducerEpoch) return {}
    return 'FENCED'
  }

  // ----- AddPartitionsToTxn / AddOffsetsToTxn

  async addPartitionsToTxn(
    req: AddPartitionsToTxnRequest,
    version: number,
  ): Promise<AddPartitionsToTxnResponse> {
    const wanted: Array<[string, number]> = []
    let unknown = false
    for (const t of req.v3AndBelowTopics) {
      for (const p of t.partitions) {
        wanted.push([t.name, p])
        if (!this.store.partition(t.name, p)) unknown = true
      }
    }
    let result: (topic: string, partition: number) => KafkaErrorName
    if (unknown) {
      // Kafka adds nothing when any partition is unknown, and says which.
      result = (topic, p) =>
        this.store.partition(topic, p) ? 'OPERATION_NOT_ATTEMPTED' : 'UNKNOWN_TOPIC_OR_PARTITION'
    } else {
      const error = await this.addPartitions(
        req.v3AndBelowTransactionalId,
        req.v3AndBelowProducerId,
        req.v3AndBelowProducerEpoch,
        wanted,
        fencedError(24, version),
      )
      result = () => error
    }
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      resultsByTransaction: [],
      resultsByTopicV3AndBelow: req.v3AndBelowTopics.map((t) => ({
        name: t.name,
        resultsByPartition: t.partitions.map(
          (p): AddPartitionsToTxnPartitionResult => ({
            partitionIndex: p,
            partitionErrorCode: errorCode(result(t.name, p)),
          }),
        ),
      })),
    }
  }

  async addOffsetsToTxn(req: AddOffsetsToTxnRequest, version: number): Promise<AddOffsetsToTxnResponse> {
    const answer = (name: KafkaErrorName): AddOffsetsToTxnResponse => ({
      throttleTimeMs: 0,
      errorCode: errorCode(name),
    })
    // Riffle keeps every group's offsets in partition 0 of the offsets topic.
    return answer(
      await this.addPartitions(
        req.transactionalId,
        req.producerId,
        req.producerEpoch,
        [[this.offsets.offsetsTopic, 0]],
        fencedError(25, version),
      ),
    )
  }

  private async addPartitions(
    id: string,
    producerId: bigint,
    producerEpoch: number,
    partitions: ReadonlyArray<[string, number]>,
    fenced: KafkaErrorName,
  ): Promise<KafkaErrorName> {
    if (id === '') return 'INVALID_REQUEST'
    for (let waits = 0; ; waits++) {
      if (this.closed) return 'NOT_COORDINATOR'
      const meta = this.txns.get(id)
      if (!meta || meta.producerId !== producerId) return 'INVALID_PRODUCER_ID_MAPPING'
      if (meta.producerEpoch !== producerEpoch) return fenced
      if (
        meta.transition ||
        meta.completion ||
        meta.state === 'PrepareCommit' ||
        meta.state === 'PrepareAbort'
      ) {
        if (waits < MAX_WAITS && (await this.settle(meta))) continue
        return 'CONCURRENT_TRANSACTIONS'
      }
      if (meta.state === 'Dead' || meta.state === 'PrepareEpochFence') return 'INVALID_TXN_STATE'
      const added = partitions.filter(([t, p]) => !meta.partitions.get(t)?.has(p))
      if (meta.state === 'Ongoing' && added.length === 0) return 'NONE'
      const next = new Map([...meta.partitions].map(([t, s]) => [t, new Set(s)]))
      for (const [t, p] of added) {
        let set = next.get(t)
        if (!set) next.set(t, (set = new Set()))
        set.add(p)
      }
      const error = await this.transit(meta, {
        state: 'Ongoing',
        partitions: next,
        startTimestamp: meta.state === 'Ongoing' ? meta.startTimestamp : this.clock.now(),
      })
      return error ?? 'NONE'
    }
  }

  // ----- EndTxn

  async endTxn(req: EndTxnRequest, version: number): Promise<EndTxnResponse> {
    const answer = (name: KafkaErrorName): EndTxnResponse => ({
      throttleTimeMs: 0,
      errorCode: errorCode(name),
      producerId: -1n,
      producerEpoch: NO_EPOCH,
    })
    const id = req.transactionalId
    if (id === '') return answer('INVALID_REQUEST')
    const fenced = fencedError(26, version)
    for (let waits = 0; ; waits++) {
      if (this.closed) return answer('NOT_COORDINATOR')
      const meta = this.txns.get(id)
      if (!meta || meta.producerId !== req.producerId) return answer('INVALID_PRODUCER_ID_MAPPING')
      if (meta.producerEpoch !== req.producerEpoch) return answer(fenced)
      if (meta.transition) {
        if (waits < MAX_WAITS && (await this.settle(meta))) continue
        return answer('CONCURRENT_TRANSACTIONS')
      }
      switch (meta.state) {
        case 'Ongoing': {
          const error = await this.transit(meta, { state: req.committed ? 'PrepareCommit' : 'PrepareAbort' })
          if (error !== null) return answer(error)
          // Answered now; the markers follow (Kafka's TransactionMarkerChannelManager).
          void this.complete(meta)
          return answer('NONE')
        }
        case 'CompleteCommit':
          return answer(req.committed ? 'NONE' : 'INVALID_TXN_STATE')
        case 'CompleteAbort':
          return answer(req.committed ? 'INVALID_TXN_STATE' : 'NONE')
        case 'PrepareCommit':
        case 'PrepareAbort': {
          // A retry: it succeeds once the markers are written, if it asks for the same outcome.
          if ((meta.state === 'PrepareCommit') !== req.committed) return answer('INVALID_TXN_STATE')
          if (waits < MAX_WAITS && (await this.complete(meta))) continue
          return answer('CONCURRENT_TRANSACTIONS')
        }
        default:
          return answer('INVALID_TXN_STATE')
      }
    }
  }

  // ----- verification of transactional writes (produce and TxnOffsetCommit)

  /**
   * Checks a produce request's transactional batch against the coordinator before it reaches the
   * log: the producer must be the current one and the partition part of its ongoing transaction
   * (as KIP-890 verification does), so that a zombie cannot open a transaction nobody will close.
   * Returns the error to answer, or null. Non-transactional batches are the log's business alone.
   */
  verifyProduce(
    transactionalId: string | null,
    records: Buffer,
    topic: string,
    partition: number,
  ): KafkaErrorName | null {
    if (records.length < L.HEADER_SIZE) return null
    if ((records.readInt16BE(L.ATTRIBUTES) & L.ATTR_TRANSACTIONAL) === 0) return null
    const producerId = records.readBigInt64BE(L.PRODUCER_ID)
    const producerEpoch = records.readInt16BE(L.PRODUCER_EPOCH)
    if (transactionalId === null || transactionalId === '') return 'INVALID_REQUEST'
    const meta = this.txns.get(transactionalId)
    if (!meta || meta.producerId !== producerId) return 'INVALID_PRODUCER_ID_MAPPING'
    if (meta.producerEpoch !== producerEpoch) return 'INVALID_PRODUCER_EPOCH'
    if (meta.state !== 'Ongoing' || !meta.partitions.get(topic)?.has(partition)) return 'INVALID_TXN_STATE'
    return null
  }

  /** The same check for TxnOffsetCommit: AddOffsetsToTxn must have added the offsets partition. */
  verifyTxnOffsetCommit(req: TxnOffsetCommitRequest): KafkaErrorName | null {
    if (this.closed) return 'COORDINATOR_NOT_AVAILABLE'
    const meta = this.txns.get(req.transactionalId)
    if (!meta || meta.producerId !== req.producerId) return 'INVALID_PRODUCER_ID_MAPPING'
    if (meta.producerEpoch !== req.producerEpoch) return 'INVALID_PRODUCER_EPOCH'
    if (meta.state !== 'Ongoing' || !meta.partitions.get(this.offsets.offsetsTopic)?.has(0))
      return 'INVALID_TXN_STATE'
    return null
  }

  // ----- DescribeTransactions / ListTransactions

  async describeTransactions(req: DescribeTransactionsRequest): Promise<DescribeTransactionsResponse> {
    return {
      throttleTimeMs: 0,
      transactionStates: req.transactionalIds.map((id) => {
        const meta = this.txns.get(id)
        if (this.closed || !meta || meta.state === 'Dead') {
          return {
            errorCode: errorCode(this.closed ? 'COORDINATOR_NOT_AVAILABLE' : 'TRANSACTIONAL_ID_NOT_FOUND'),
            transactionalId: id,
            transactionState: '',
            transactionTimeoutMs: 0,
            transactionStartTimeMs: -1n,
            producerId: -1n,
            producerEpoch: NO_EPOCH,
            topics: [],
          }
        }
        return {
          errorCode: 0,
          transactionalId: id,
          transactionState: meta.state,
          transactionTimeoutMs: meta.timeoutMs,
          transactionStartTimeMs: BigInt(meta.startTimestamp),
          producerId: meta.producerId,
          producerEpoch: meta.producerEpoch,
          topics: [...toRecord(meta).partitions].map(([topic, partitions]) => ({ topic, partitions })),
        }
      }),
    }
  }

  async listTransactions(req: ListTransactionsRequest, version: number): Promise<ListTransactionsResponse> {
    if (this.closed)
      return {
        throttleTimeMs: 0,
        errorCode: errorCode('COORDINATOR_NOT_AVAILABLE'),
        unknownStateFilters: [],
        transactionStates: [],
      }
    const known = new Set<string>(TXN_STATES)
    const states = new Set(req.stateFilters.filter((s) => known.has(s)))
    const unknownStateFilters = req.stateFilters.filter((s) => !known.has(s))
    const producerIds = new Set(req.producerIdFilters)
    const duration = version >= 1 ? Number(req.durationFilter) : -1
    const now = this.clock.now()
    const transactionStates: ListTransactionsResponse['transactionStates'] = []
    // Kafka: filtering only by unknown states matches nothing.
    if (req.stateFilters.length === 0 || states.size > 0) {
      for (const m of this.txns.values()) {
        if (m.state === 'Dead') continue
        if (states.size > 0 && !states.has(m.state)) continue
        if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue
        if (duration >= 0 && now - m.startTimestamp <= duration) continue
        transactionStates.push({
          transactionalId: m.transactionalId,
          producerId: m.producerId,
          transactionState: m.state,
        })
      }
    }
    return { throttleTimeMs: 0, errorCode: 0, unknownStateFilters, transactionStates }
  }

  // ----- introspection and lifecycle

  /** A transactional id's state, for tests and tools. */
  describe(transactionalId: string):
    | {
        state: TxnState
        producerId: bigint
        producerEpoch: number
        timeoutMs: number
        partitions: Array<[string, number[]]>
        startTimestamp: number
      }
    | undefined {
    const m = this.txns.get(transactionalId)
    if (!m) return undefined
    return {
      state: m.state,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      timeoutMs: m.timeoutMs,
      partitions: [...toRecord(m).partitions],
      startTimestamp: m.startTimestamp,
    }
  }

  /**
   * Stops the timeout scan and waits for transitions and markers in flight; later requests get
   * NOT_COORDINATOR. Close it before the group coordinator and the store.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }
}

/** TxnOffsetCommit's answer when the transaction coordinator refuses it: the error on every partition. */
export function txnOffsetCommitRefused(
  req: TxnOffsetCommitRequest,
  name: KafkaErrorName,
): TxnOffsetCommitResponse {
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errorCode(name) })),
    })),
  }
}
