// Committed offsets, durable in the compacted internal topic `__consumer_offsets` and cached in
// memory for fetches. The log is the truth: every change (commit or tombstone) is appended first and
// applied to memory only once its append has resolved. Appends to one partition resolve in offset
// order, so memory is always exactly the replay of the durable log prefix, and opening the store is
// nothing more than that replay.
//
// Transactional offsets (TxnOffsetCommit) are written as Kafka writes them: a transactional batch
// carrying the transaction's producer id and epoch. They stay pending per producer id until the
// transaction coordinator writes the COMMIT or ABORT marker to this partition (completeTxn): commit
// moves them into `committed`, unless a newer plain commit for the same partition is already there
// (Kafka compares log positions), abort drops them. Replay does the same with the batches and
// markers it finds, so a transaction left open by a crash stays pending until the coordinator
// completes it. While any offset of a group's partition is pending, OffsetFetch with requireStable
// answers UNSTABLE_OFFSET_COMMIT (`hasPending`).
import { RiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import type { PartitionLog } from '../../log/partition-log.ts'
import { forEachBatch } from '../../log/replay.ts'
import type { LogStore } from '../../log/store.ts'
import { CONTROL_COMMIT, controlType } from '../../protocol/records/control.ts'
import * as L from '../../protocol/records/layout.ts'
import { type RecordInput, decodeRecordBatch, encodeRecordBatch } from '../../protocol/records/record.ts'
import {
  type CommittedOffset,
  type OffsetKey,
  decodeKey,
  decodeOffsetValue,
  encodeOffsetKey,
  encodeOffsetValue,
} from './offset-records.ts'

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets'
export const CONSUMER_OFFSETS_CONFIGS: Readonly<Record<string, string>> = Object.freeze({
  'cleanup.policy': 'compact',
})

/** One change to apply: a commit, or a tombstone when `value` is null. */
export interface OffsetChange extends OffsetKey {
  value: CommittedOffset | null
}

export interface GroupOffset extends CommittedOffset {
  topic: string
  partition: number
}

/** A commit as stored: where its record is in the log decides which of two commits is newer. */
interface StoredOffset extends GroupOffset {
  /** Offset of the record in `__consumer_offsets`. */
  at: number
}

/** A transaction marker for one producer, as the transaction coordinator hands it over. */
export interface OffsetsTxnMarker {
  producerId: bigint
  producerEpoch: number
  commit: boolean
  coordinatorEpoch: number
}

/** Records per batch are capped so a large tombstone sweep never exceeds max.message.bytes. */
const MAX_BATCH_BYTES = 256 * 1024
const log = childLogger('groups')

const tpKey = (topic: string, partition: number): string => `${partition}:${topic}`

export class OffsetStore {
  /** group → "partition:topic" → offset. */
  private readonly committed = new Map<string, Map<string, StoredOffset>>()
  /** group → "partition:topic" → number of commits appended but not yet durable. */
  private readonly pending = new Map<string, Map<string, number>>()
  /** producer id → group → "partition:topic" → durable transactional offset awaiting its marker. */
  private readonly pendingTxn = new Map<bigint, Map<string, Map<string, StoredOffset>>>()
  /** producer id → the epoch and next sequence of its transactional batches in this partition. */
  private readonly txnSequences = new Map<bigint, { epoch: number; next: number }>()
  private readonly inFlight = new Set<Promise<unknown>>()
  private readonly partition: PartitionLog

  private constructor(partition: PartitionLog) {
    this.partition = partition
  }

  /** Creates `__consumer_offsets` if missing and rebuilds the cache by replaying partition 0. */
  static async open(store: LogStore): Promise<OffsetStore> {
    if (!store.topic(CONSUMER_OFFSETS_TOPIC)) {
      store.createTopic(CONSUMER_OFFSETS_TOPIC, 1, { ...CONSUMER_OFFSETS_CONFIGS })
    }
    const partition = store.partition(CONSUMER_OFFSETS_TOPIC, 0)!
    const offsets = new OffsetStore(partition)
    await offsets.replay()
    return offsets
  }

  private async replay(): Promise<void> {
    let records = 0
    await forEachBatch(this.partition, (bytes, pos) => {
      const attributes = bytes.readInt16BE(pos + L.ATTRIBUTES)
      const { header, records: batch } = decodeRecordBatch(bytes, pos)
      if ((attributes & L.ATTR_CONTROL) !== 0) {
        // A transaction marker: the producer's pending offsets are committed or dropped.
        const type = controlType(batch[0]?.key ?? null)
        if (type >= 0) this.resolveTxn(header.producerId, header.producerEpoch, type === CONTROL_COMMIT)
        return
      }
      const producerId = (attributes & L.ATTR_TRANSACTIONAL) !== 0 ? header.producerId : null
      if (producerId !== null) {
        this.txnSequences.set(producerId, {
          epoch: header.producerEpoch,
          next: header.baseSequence + header.lastOffsetDelta + 1,
        })
      }
      for (const r of batch) {
        if (r.key === null) continue
        records++
        this.replayRecord(r.key, r.value, Number(r.offset), producerId)
      }
    })
    if (records > 0) log.debug({ records, groups: this.committed.size }, 'loaded committed offsets')
  }

  private replayRecord(key: Buffer, value: Buffer | null, at: number, producerId: bigint | null): void {
    try {
      const k = decodeKey(key)
      if (k.kind !== 'offset') return
      if (value === null) {
        if (producerId === null) this.apply([{ ...k.key, value: null }], at)
        return
      }
      const v = decodeOffsetValue(value)
      if (v === null) {
        log.warn({ offset: at }, `skipping ${CONSUMER_OFFSETS_TOPIC} record with an unknown value version`)
        return
      }
      if (producerId === null) this.apply([{ ...k.key, value: v }], at)
      else this.addPendingTxn(producerId, [{ ...k.key, value: v }], at)
    } catch (e) {
      log.warn({ offset: at, err: e }, `skipping undecodable ${CONSUMER_OFFSETS_TOPIC} record`)
    }
  }

  /** Applies plain commits and tombstones; the i-th change's record is at offset `base + i`. */
  private apply(changes: readonly OffsetChange[], base: number): void {
    changes.forEach((c, i) => {
      const key = tpKey(c.topic, c.partition)
      if (c.value === null) {
        // A deletion also drops the partition's offsets pending in transactions, as Kafka does.
        for (const groups of this.pendingTxn.values()) {
          const pending = groups.get(c.group)
          pending?.delete(key)
          if (pending?.size === 0) groups.delete(c.group)
        }
        const offsets = this.committed.get(c.group)
        if (!offsets) return
        offsets.delete(key)
        if (offsets.size === 0) this.committed.delete(c.group)
      } else {
        let offsets = this.committed.get(c.group)
        if (!offsets) this.committed.set(c.group, (offsets = new Map()))
        offsets.set(key, { topic: c.topic, partition: c.partition, ...c.value, at: base + i })
      }
    })
  }

  /** Holds durable transactional offsets until their producer's marker. */
  private addPendingTxn(producerId: bigint, changes: readonly OffsetChange[], base: number): void {
    let groups = this.pendingTxn.get(producerId)
    if (!groups) this.pendingTxn.set(producerId, (groups = new Map()))
    changes.forEach((c, i) => {
      if (c.value === null) return
      let offsets = groups.get(c.group)
      if (!offsets) groups.set(c.group, (offsets = new Map()))
      offsets.set(tpKey(c.topic, c.partition), {
        topic: c.topic,
        partition: c.partition,
        ...c.value,
        at: base + i,
      })
    })
  }

  /**
   * A marker for `producerId`: on commit its pending offsets become committed where no newer commit
   * (later in the log) exists, as Kafka's completePendingTxnOffsetCommit; on abort they are dropped.
   */
  private resolveTxn(producerId: bigint, epoch: number, commit: boolean): void {
    const seq = this.txnSequences.get(producerId)
    // A marker from a newer epoch (a fenced producer) starts that epoch's sequence afresh.
    if (seq && epoch > seq.epoch) this.txnSequences.set(producerId, { epoch, next: 0 })
    const groups = this.pendingTxn.get(producerId)
    this.pendingTxn.delete(producerId)
    if (!groups || !commit) return
    for (const [group, offsets] of groups) {
      let current = this.committed.get(group)
      for (const [key, o] of offsets) {
        const existing = current?.get(key)
        if (existing && existing.at > o.at) continue
        if (!current) this.committed.set(group, (current = new Map()))
        current.set(key, o)
      }
    }
  }

  private markPending(changes: readonly OffsetChange[], delta: 1 | -1): void {
    for (const c of changes) {
      let counts = this.pending.get(c.group)
      if (!counts) this.pending.set(c.group, (counts = new Map()))
      const key = tpKey(c.topic, c.partition)
      const n = (counts.get(key) ?? 0) + delta
      if (n > 0) counts.set(key, n)
      else counts.delete(key)
      if (counts.size === 0) this.pending.delete(c.group)
    }
  }

  /**
   * Appends the changes and applies them to the cache once durable. Rejects (with the log's
   * RiffleError) if the append fails, in which case nothing is applied.
   */
  write(changes: readonly OffsetChange[], now: number): Promise<void> {
    if (changes.length === 0) return Promise.resolve()
    const batches: Buffer[] = []
    let records: RecordInput[] = []
    let bytes = 0
    for (const c of changes) {
      const key = encodeOffsetKey(c)
      const value = c.value === null ? null : encodeOffsetValue(c.value)
      const size = key.length + (value?.length ?? 0) + 16
      if (records.length > 0 && bytes + size > MAX_BATCH_BYTES) {
        batches.push(encodeRecordBatch(records, { baseTimestamp: now }))
        records = []
        bytes = 0
      }
      // A commit's record carries its commit time; tombstones carry now, from which compaction
      // counts delete.retention.ms.
      records.push({ key, value, timestamp: c.value?.commitTimestamp ?? now })
      bytes += size
    }
    batches.push(encodeRecordBatch(records, { baseTimestamp: now }))
    this.markPending(changes, 1)
    // apply runs in a `.then` directly on the append, for every kind of change alike, so the
    // cache sees changes in log order.
    const done = this.partition.append(Buffer.concat(batches)).then(
      (r) => {
        this.markPending(changes, -1)
        this.apply(changes, r.baseOffset)
      },
      (e: unknown) => {
        this.markPending(changes, -1)
        throw e
      },
    )
    return this.track(done)
  }

  /**
   * Appends transactional offsets as one transactional batch of `producerId`/`producerEpoch` (the
   * log checks its sequence and epoch like any producer's); once durable they are pending until the
   * transaction's marker. Rejects with the log's RiffleError if the append fails.
   */
  writeTxn(
    changes: readonly OffsetChange[],
    producerId: bigint,
    producerEpoch: number,
    now: number,
  ): Promise<void> {
    if (changes.length === 0) return Promise.resolve()
    const seq = this.txnSequences.get(producerId)
    const baseSequence = seq && seq.epoch === producerEpoch ? seq.next : 0
    const next = { epoch: producerEpoch, next: baseSequence + changes.length }
    const batch = encodeRecordBatch(
      changes.map((c) => ({
        key: encodeOffsetKey(c),
        value: c.value === null ? null : encodeOffsetValue(c.value),
        timestamp: c.value?.commitTimestamp ?? now,
      })),
      { baseTimestamp: now, producerId, producerEpoch, baseSequence, transactional: true },
    )
    this.txnSequences.set(producerId, next)
    this.markPending(changes, 1)
    const done = this.partition.append(batch).then(
      (r) => {
        this.markPending(changes, -1)
        if (r.duplicate) {
          // Only a sequence this store already used can be a duplicate: its records are the earlier
          // ones, not these. Refuse rather than acknowledge offsets that were not written.
          throw new RiffleError(
            'OUT_OF_ORDER_SEQUENCE',
            `transactional offsets of producer ${producerId} reused sequence ${baseSequence}`,
          )
        }
        this.addPendingTxn(producerId, changes, r.baseOffset)
      },
      (e: unknown) => {
        this.markPending(changes, -1)
        // Nothing was written: the sequence is free again unless a later write took the next one.
        if (this.txnSequences.get(producerId) === next)
          this.txnSequences.set(producerId, seq ?? { epoch: producerEpoch, next: 0 })
        throw e
      },
    )
    return this.track(done)
  }

  /**
   * Writes the transaction marker for a producer and then commits or drops its pending offsets.
   * Rejects (leaving them pending) if the marker cannot be written.
   */
  completeTxn(marker: OffsetsTxnMarker): Promise<void> {
    const done = this.partition.appendMarker(marker).then(() => {
      this.resolveTxn(marker.producerId, marker.producerEpoch, marker.commit)
    })
    return this.track(done)
  }

  private track(done: Promise<void>): Promise<void> {
    this.inFlight.add(done)
    const untrack = (): void => {
      this.inFlight.delete(done)
    }
    done.then(untrack, untrack)
    return done
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.committed.get(group)?.get(tpKey(topic, partition))
  }

  /**
   * Whether a commit for the partition is appended but not yet durable, or durable in a transaction
   * that has not ended (fetch's requireStable).
   */
  hasPending(group: string, topic: string, partition: number): boolean {
    const key = tpKey(topic, partition)
    if (this.pending.get(group)?.has(key)) return true
    for (const groups of this.pendingTxn.values()) if (groups.get(group)?.has(key)) return true
    return false
  }

  /** Producer ids with transactional offsets awaiting their marker (for tests and tools). */
  pendingTransactions(): bigint[] {
    return [...this.pendingTxn.keys()]
  }

  /** Every committed offset of the group, by topic then partition. */
  groupOffsets(group: string): GroupOffset[] {
    const offsets = this.committed.get(group)
    if (!offsets) return []
    return [...offsets.values()].sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    )
  }

  /**
   * Keys a deletion must tombstone: those committed plus those with a commit in flight (that commit
   * lands before the tombstone, so the tombstone has to cover it too).
   */
  keysOf(group: string, filter: (topic: string, partition: number) => boolean = () => true): OffsetKey[] {
    const out = new Map<string, OffsetKey>()
    for (const o of this.committed.get(group)?.values() ?? []) {
      if (filter(o.topic, o.partition))
        out.set(tpKey(o.topic, o.partition), { group, topic: o.topic, partition: o.partition })
    }
    for (const key of this.pending.get(group)?.keys() ?? []) {
      const colon = key.indexOf(':')
      const partition = Number(key.slice(0, colon))
      const topic = key.slice(colon + 1)
      if (filter(topic, partition)) out.set(key, { group, topic, partition })
    }
    return [...out.values()]
  }

  /** Groups that have committed, in-flight or transactional offsets. */
  knownGroups(): string[] {
    const txnGroups = [...this.pendingTxn.values()].flatMap((groups) => [...groups.keys()])
    return [...new Set([...this.committed.keys(), ...this.pending.keys(), ...txnGroups])]
  }

  /** Whether the group has committed, in-flight or transactional offsets. */
  hasGroup(group: string): boolean {
    if (this.committed.has(group) || this.pending.has(group)) return true
    for (const groups of this.pendingTxn.values()) if (groups.has(group)) return true
    return false
  }

  /** Resolves once every write started so far has settled. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }
}
