// Writes to a topic of the embedded log with PartitionLog.append (no sockets, no produce protocol).
// Records go to the partition Kafka's default partitioner would pick for their key bytes (murmur2;
// round robin without a key), in batches of bounded size, with a bounded number of appends in
// flight (the task waits when the log falls behind: backpressure).
//
// Exactly-once (two-phase commit with the pipeline's checkpoints): the output between two
// checkpoints is one transaction. Its batches are transactional, under a producer id from the
// transaction coordinator and an epoch of their own: every transaction uses the next epoch of the
// producer id (a fresh producer id once the epochs run out), so a transaction is identified by
// (producer id, epoch) in every partition's producer state. prepare() waits until every batch is
// durable and returns the transaction to commit plus the identity of the next one; the checkpoint
// stores both. commit(), called once the checkpoint is durable, writes a COMMIT marker to every
// partition the transaction touched. recover() takes what the latest checkpoint stored: it
// finishes that checkpoint's commit where a crash interrupted it (a partition still has that
// epoch's transaction open) and aborts the transaction that was open after it (the "next" identity),
// whose input will be replayed. read_committed readers therefore see every result exactly once.
import type { PartitionLog } from '../../log/partition-log.ts'
import type { LogStore } from '../../log/store.ts'
import { type RecordInput, encodeRecordBatch } from '../../protocol/records/record.ts'
import type { StreamRecord } from '../model/record.ts'
import { murmur2 } from '../partitioning/murmur2.ts'
import type { TopicSinkSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import { encodeKey, encodeValue } from './formats.ts'
import type { SinkWriter } from './io.ts'

const MAX_BATCH_RECORDS = 500
const MAX_BATCH_BYTES = 512 * 1024
const MAX_IN_FLIGHT = 64
/** Epochs per producer id before a fresh id is taken (Kafka's epochs are int16; 32767 is reserved). */
export const MAX_TXN_EPOCH = 32000

export interface TopicSinkOptions {
  /** Exactly-once: transactional batches committed with the checkpoints. */
  transactional: boolean
  /** A producer id never handed out before (the transaction coordinator's). Needed when transactional. */
  producerIds?: () => Promise<bigint>
  /** How a record becomes a Kafka record. Default: key and value serialised per the spec's formats. */
  encode?(record: StreamRecord): RecordInput
}

interface TxnId {
  producerId: bigint
  epoch: number
}

/** What a checkpoint stores for a transactional topic sink. */
interface Prepared {
  commit: { producerId: string; epoch: number; partitions: number[] } | null
  next: { producerId: string; epoch: number }
}

function safeTimestamp(t: number): number {
  return Number.isFinite(t) ? Math.floor(t) : Date.now()
}

/** A record as the Kafka record `spec` writes (also used where the records are encoded in a worker). */
export function encodeTopicRecord(spec: TopicSinkSpec, r: StreamRecord): RecordInput {
  const key = spec.key ? spec.key(r.value) : r.key
  return {
    key: encodeKey(spec.keyFormat, key),
    value: encodeValue(spec.format, r.value),
    timestamp: safeTimestamp(r.timestamp),
  }
}

export class TopicSinkWriter implements SinkWriter {
  private readonly spec: TopicSinkSpec
  private readonly options: TopicSinkOptions
  private readonly logs: PartitionLog[]
  private readonly buffers: RecordInput[][]
  private readonly bufferBytes: number[]
  private readonly sequences: number[]
  private readonly touched = new Set<number>()
  private inflight: Promise<void>[] = []
  private failure: unknown = null
  private roundRobin = 0
  /** The open (or next) transaction's identity; null until recover() has run. */
  private txn: TxnId | null = null
  private pending: { commit: { txn: TxnId; partitions: number[] } | null; next: TxnId } | null = null

  constructor(store: LogStore, spec: TopicSinkSpec, options: TopicSinkOptions) {
    this.spec = spec
    this.options = options
    const topic = store.topic(spec.topic) ?? store.createTopic(spec.topic, spec.partitions ?? 1)
    this.logs = topic.partitions.slice()
    this.buffers = this.logs.map(() => [])
    this.bufferBytes = this.logs.map(() => 0)
    this.sequences = this.logs.map(() => 0)
  }

  describe(): string {
    return `topic ${this.spec.topic}`
  }

  /** The producer id and epoch of the open transaction (tests, tools). */
  get transaction(): { producerId: bigint; epoch: number } | null {
    return this.txn && { ...this.txn }
  }

  private encode(r: StreamRecord): RecordInput {
    return this.options.encode ? this.options.encode(r) : encodeTopicRecord(this.spec, r)
  }

  private partitionOf(key: Buffer | string | null | undefined): number {
    const n = this.logs.length
    if (key === null || key === undefined) return this.roundRobin++ % n
    const bytes = typeof key === 'string' ? Buffer.from(key) : key
    return (murmur2(bytes) & 0x7fffffff) % n
  }

  write(records: readonly StreamRecord[]): void {
    this.throwIfFailed()
    for (const r of records) {
      const input = this.encode(r)
      const p = this.partitionOf(input.key)
      this.buffers[p]!.push(input)
      this.bufferBytes[p]! += 64 + (input.key?.length ?? 0) + (input.value?.length ?? 0)
      if (this.buffers[p]!.length >= MAX_BATCH_RECORDS || this.bufferBytes[p]! >= MAX_BATCH_BYTES)
        this.send(p)
    }
  }

  private send(p: number): void {
    const records = this.buffers[p]!
    if (records.length === 0) return
    this.buffers[p] = []
    this.bufferBytes[p] = 0
    let batch: Buffer
    if (this.options.transactional) {
      if (!this.txn) throw new Error('transactional sink written before recover()')
      batch = encodeRecordBatch(records, {
        producerId: this.txn.producerId,
        producerEpoch: this.txn.epoch,
        baseSequence: this.sequences[p]!,
        transactional: true,
      })
      this.sequences[p] = (this.sequences[p]! + records.length) % 0x80000000
    } else batch = encodeRecordBatch(records)
    this.touched.add(p)
    this.inflight.push(
      this.logs[p]!.append(batch).then(
        () => {},
        (e: unknown) => {
          this.failure ??= e
        },
      ),
    )
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure
  }

  async flush(): Promise<void> {
    for (let p = 0; p < this.logs.length; p++) this.send(p)
    while (this.inflight.length > MAX_IN_FLIGHT) await this.inflight.shift()
    this.throwIfFailed()
  }

  /** Sends everything buffered and waits until all of it is durable. */
  private async drain(): Promise<void> {
    for (let p = 0; p < this.logs.length; p++) this.send(p)
    const all = this.inflight
    this.inflight = []
    await Promise.all(all)
    this.throwIfFailed()
  }

  private async allocate(): Promise<bigint> {
    if (!this.options.producerIds)
      throw new Error(`exactly-once output to ${this.describe()} needs a producer id source`)
    return this.options.producerIds()
  }

  async prepare(): Promise<Plain> {
    await this.drain()
    if (!this.options.transactional) return null
    const txn = this.txn!
    const commit = this.touched.size > 0 ? { txn, partitions: [...this.touched].sort((a, b) => a - b) } : null
    // An empty transaction wrote nothing under its epoch: the next one may reuse it.
    let next: TxnId = commit ? { producerId: txn.producerId, epoch: txn.epoch + 1 } : txn
    if (next.epoch > MAX_TXN_EPOCH) next = { producerId: await this.allocate(), epoch: 0 }
    this.pending = { commit, next }
    const s: Prepared = {
      commit: commit && {
        producerId: String(commit.txn.producerId),
        epoch: commit.txn.epoch,
        partitions: commit.partitions,
      },
      next: { producerId: String(next.producerId), epoch: next.epoch },
    }
    return s as unknown as Plain
  }

  async commit(): Promise<void> {
    const pending = this.pending
    if (!this.options.transactional || !pending) return
    this.pending = null
    if (pending.commit) {
      const { txn, partitions } = pending.commit
      await Promise.all(
        partitions.map((p) =>
          this.logs[p]!.appendMarker({
            producerId: txn.producerId,
            producerEpoch: txn.epoch,
            commit: true,
            coordinatorEpoch: 0,
          }),
        ),
      )
    }
    this.txn = pending.next
    this.touched.clear()
    this.sequences.fill(0)
  }

  async recover(prepared: Plain | undefined): Promise<void> {
    const s = (prepared ?? null) as unknown as Prepared | null
    const openEpoch = (log: PartitionLog, producerId: bigint): number | null =>
      log.openTransactions().includes(producerId)
        ? (log.producers.producers.get(producerId)?.epoch ?? 0)
        : null
    if (s?.commit) {
      // The checkpoint is durable, so its transaction commits wherever a crash left it open. A
      // partition already at a later epoch had it committed (the next transaction starts only once
      // every marker is written); that later transaction is aborted below.
      const producerId = BigInt(s.commit.producerId)
      for (const p of s.commit.partitions) {
        const log = this.logs[p]
        if (log && openEpoch(log, producerId) === s.commit.epoch)
          await log.appendMarker({
            producerId,
            producerEpoch: s.commit.epoch,
            commit: true,
            coordinatorEpoch: 0,
          })
      }
    }
    let spent = -1
    if (s?.next) {
      // Output written after the checkpoint: its input is replayed, so it must never be visible.
      const producerId = BigInt(s.next.producerId)
      spent = s.next.epoch
      for (const log of this.logs) {
        const epoch = openEpoch(log, producerId)
        if (epoch === null) continue
        const producerEpoch = Math.max(epoch, s.next.epoch)
        await log.appendMarker({ producerId, producerEpoch, commit: false, coordinatorEpoch: 0 })
        spent = Math.max(spent, producerEpoch)
      }
    }
    if (!this.options.transactional) return
    // The aborted epoch is spent: continue with the one after it.
    this.txn =
      s?.next && spent + 1 <= MAX_TXN_EPOCH
        ? { producerId: BigInt(s.next.producerId), epoch: spent + 1 }
        : { producerId: await this.allocate(), epoch: 0 }
    this.touched.clear()
    this.sequences.fill(0)
  }

  async close(): Promise<void> {
    const all = this.inflight
    this.inflight = []
    await Promise.all(all)
  }
}
