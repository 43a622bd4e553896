// Committed offsets, durable in the compacted internal topic `__consumer_offsets` and cached in
// memory for fetches. The log is the truth: every change (commit or tombstone) is appended first and
// applied to memory only once its append has resolved. Appends to one partition resolve in offset
// order, so memory is always exactly the replay of the durable log prefix, and opening the store is
// nothing more than that replay.
//
// Transactions (TxnOffsetCommit) will add offsets that stay pending per producer until the
// transaction's marker lands: they will go into a `pendingTxn` map keyed by producer id, be written
// as transactional batches, and move into `committed` when replay or the live path sees the COMMIT
// marker. `hasPending` is already the single question fetches ask (requireStable), so that map only
// has to be consulted there too.
import { childLogger } from '../../core/logging.ts'
import type { PartitionLog } from '../../log/partition-log.ts'
import type { LogStore } from '../../log/store.ts'
import { checkBatch, lastOffsetOf } from '../../protocol/records/header.ts'
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

/** Records per batch are capped so a large tombstone sweep never exceeds max.message.bytes. */
const MAX_BATCH_BYTES = 256 * 1024
const REPLAY_READ_BYTES = 1024 * 1024
const log = childLogger('groups')

const tpKey = (topic: string, partition: number): string => `${partition}:${topic}`

export class OffsetStore {
  /** group → "partition:topic" → offset. */
  private readonly committed = new Map<string, Map<string, GroupOffset>>()
  /** group → "partition:topic" → number of commits appended but not yet durable. */
  private readonly pending = new Map<string, Map<string, number>>()
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
    const p = this.partition
    let next = p.logStartOffset
    const end = p.highWatermark
    let records = 0
    while (next < end) {
      const { bytes } = await p.read(next, REPLAY_READ_BYTES)
      if (bytes.length === 0) break
      for (let pos = 0; pos < bytes.length; ) {
        const size = checkBatch(bytes, pos)
        if (typeof size !== 'number')
          throw new Error(`${CONSUMER_OFFSETS_TOPIC}: bad batch at ${next}: ${size}`)
        next = Number(lastOffsetOf(bytes, pos)) + 1
        const attributes = bytes.readInt16BE(pos + L.ATTRIBUTES)
        // Control batches are transaction markers and transactional batches hold TxnOffsetCommit
        // offsets: both belong to the transactions work, which will resolve them per producer here.
        if ((attributes & (L.ATTR_CONTROL | L.ATTR_TRANSACTIONAL)) === 0) {
          for (const r of decodeRecordBatch(bytes, pos).records) {
            if (r.key === null) continue
            records++
            this.replayRecord(r.key, r.value, Number(r.offset))
          }
        }
        pos += size
      }
    }
    if (records > 0) log.debug({ records, groups: this.committed.size }, 'loaded committed offsets')
  }

  private replayRecord(key: Buffer, value: Buffer | null, at: number): void {
    try {
      const k = decodeKey(key)
      if (k.kind !== 'offset') return
      if (value === null) {
        this.apply([{ ...k.key, value: null }])
        return
      }
      const v = decodeOffsetValue(value)
      if (v === null) {
        log.warn({ offset: at }, `skipping ${CONSUMER_OFFSETS_TOPIC} record with an unknown value version`)
        return
      }
      this.apply([{ ...k.key, value: v }])
    } catch (e) {
      log.warn({ offset: at, err: e }, `skipping undecodable ${CONSUMER_OFFSETS_TOPIC} record`)
    }
  }

  private apply(changes: readonly OffsetChange[]): void {
    for (const c of changes) {
      const key = tpKey(c.topic, c.partition)
      if (c.value === null) {
        const offsets = this.committed.get(c.group)
        if (!offsets) continue
        offsets.delete(key)
        if (offsets.size === 0) this.committed.delete(c.group)
      } else {
        let offsets = this.committed.get(c.group)
        if (!offsets) this.committed.set(c.group, (offsets = new Map()))
        offsets.set(key, { topic: c.topic, partition: c.partition, ...c.value })
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
      () => {
        this.markPending(changes, -1)
        this.apply(changes)
      },
      (e: unknown) => {
        this.markPending(changes, -1)
        throw e
      },
    )
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

  /** Whether a commit for the partition is appended but not yet durable (fetch's requireStable). */
  hasPending(group: string, topic: string, partition: number): boolean {
    return this.pending.get(group)?.has(tpKey(topic, partition)) ?? false
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

  /** Groups that have committed or in-flight offsets. */
  knownGroups(): string[] {
    return [...new Set([...this.committed.keys(), ...this.pending.keys()])]
  }

  /** Whether the group has committed or in-flight offsets. */
  hasGroup(group: string): boolean {
    return this.committed.has(group) || this.pending.has(group)
  }

  /** Resolves once every write started so far has settled. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }
}
