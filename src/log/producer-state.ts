// Per-partition state of idempotent and transactional producers, as Kafka keeps it: for each producer
// id its epoch, the last five batches' sequence ranges with their offsets (to recognise a retried
// batch and answer with its original offsets), and the first offset of its open transaction; plus
// the list of aborted transactions that read_committed fetches need.
//
// The state is a function of the log: it is snapshotted to a file when it matches the durable log
// end, and rebuilt on open by replaying the batch headers written after the snapshot.
import { RiffleError } from '../core/errors.ts'

export const CACHED_BATCHES = 5
const INT32_MAX = 0x7fffffff

export interface BatchMeta {
  firstSeq: number
  lastSeq: number
  firstOffset: number
  lastOffset: number
}

export interface ProducerEntry {
  epoch: number
  batches: BatchMeta[]
  /** First offset of the producer's open transaction on this partition, or -1. */
  txnFirstOffset: number
  coordinatorEpoch: number
}

export interface AbortedTxn {
  producerId: bigint
  firstOffset: number
  lastOffset: number
}

export type SequenceVerdict = { kind: 'append' } | { kind: 'duplicate'; batch: BatchMeta }

interface Snapshot {
  offset: number
  producers: Array<[string, ProducerEntry]>
  aborted: Array<{ producerId: string; firstOffset: number; lastOffset: number }>
}

export class ProducerState {
  readonly producers = new Map<bigint, ProducerEntry>()
  aborted: AbortedTxn[] = []

  /**
   * Decides whether a batch from `producerId` is the next in sequence, a retry of one of the cached
   * batches, or an error (stale epoch, gap in the sequence).
   */
  check(producerId: bigint, epoch: number, firstSeq: number, lastSeq: number): SequenceVerdict {
    const entry = this.producers.get(producerId)
    if (entry && epoch < entry.epoch) {
      throw new RiffleError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${producerId} epoch ${epoch} is older than the current epoch ${entry.epoch}`,
      )
    }
    if (!entry || epoch > entry.epoch || entry.batches.length === 0) {
      // A new producer, or a new epoch of one, starts its sequence at 0.
      if (firstSeq !== 0) {
        throw new RiffleError(
          'OUT_OF_ORDER_SEQUENCE',
          `producer ${producerId} epoch ${epoch} must start at sequence 0, not ${firstSeq}`,
        )
      }
      return { kind: 'append' }
    }
    const dup = entry.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq)
    if (dup) return { kind: 'duplicate', batch: dup }
    const last = entry.batches[entry.batches.length - 1]!
    const expected = last.lastSeq === INT32_MAX ? 0 : last.lastSeq + 1
    if (firstSeq !== expected) {
      throw new RiffleError(
        'OUT_OF_ORDER_SEQUENCE',
        `producer ${producerId}: expected sequence ${expected}, got ${firstSeq}`,
      )
    }
    return { kind: 'append' }
  }

  /** Records an appended data batch (after `check`, or while replaying the log). */
  onBatch(producerId: bigint, epoch: number, meta: BatchMeta, transactional: boolean): void {
    let entry = this.producers.get(producerId)
    if (!entry) {
      entry = { epoch, batches: [], txnFirstOffset: -1, coordinatorEpoch: -1 }
      this.producers.set(producerId, entry)
    } else if (epoch > entry.epoch) {
      // A transaction of an older epoch still open here had its epoch bumped by the coordinator
      // (fenced): it can never commit, so it is aborted at this point. Without this, the next
      // transaction's marker would close it and its records would count as that one's.
      if (entry.txnFirstOffset >= 0)
        this.aborted.push({ producerId, firstOffset: entry.txnFirstOffset, lastOffset: meta.firstOffset - 1 })
      entry.txnFirstOffset = -1
      entry.epoch = epoch
      entry.batches = []
    }
    entry.batches.push(meta)
    if (entry.batches.length > CACHED_BATCHES) entry.batches.shift()
    if (transactional && entry.txnFirstOffset < 0) entry.txnFirstOffset = meta.firstOffset
  }

  /** Checks a commit/abort marker: a marker from an older epoch than the producer's is fenced. */
  checkMarker(producerId: bigint, epoch: number): void {
    const entry = this.producers.get(producerId)
    if (entry && epoch < entry.epoch) {
      throw new RiffleError(
        'INVALID_PRODUCER_EPOCH',
        `marker for producer ${producerId} has epoch ${epoch}, older than ${entry.epoch}`,
      )
    }
  }

  /** Closes the producer's open transaction at the marker's offset. */
  onMarker(
    producerId: bigint,
    epoch: number,
    commit: boolean,
    coordinatorEpoch: number,
    offset: number,
  ): void {
    let entry = this.producers.get(producerId)
    if (!entry) {
      entry = { epoch, batches: [], txnFirstOffset: -1, coordinatorEpoch }
      this.producers.set(producerId, entry)
    }
    if (epoch > entry.epoch) {
      entry.epoch = epoch
      entry.batches = []
    }
    entry.coordinatorEpoch = coordinatorEpoch
    if (entry.txnFirstOffset >= 0 && !commit) {
      this.aborted.push({ producerId, firstOffset: entry.txnFirstOffset, lastOffset: offset })
    }
    entry.txnFirstOffset = -1
  }

  /** First offset of the earliest open transaction, or null. */
  firstUnstableOffset(): number | null {
    let first: number | null = null
    for (const e of this.producers.values()) {
      if (e.txnFirstOffset >= 0 && (first === null || e.txnFirstOffset < first)) first = e.txnFirstOffset
    }
    return first
  }

  openTransactions(): bigint[] {
    return [...this.producers].filter(([, e]) => e.txnFirstOffset >= 0).map(([id]) => id)
  }

  /** Aborted transactions overlapping [from, to), ordered by first offset. */
  abortedOverlapping(from: number, to: number): AbortedTxn[] {
    // `aborted` is in marker order; transactions interleave, so that is not first-offset order.
    // Clients may rely on the order: kafkajs walks the list as a queue while reading records, and
    // an entry behind a later-starting one is noticed too late (its records leak as committed).
    return this.aborted
      .filter((a) => a.lastOffset >= from && a.firstOffset < to)
      .sort((a, b) => a.firstOffset - b.firstOffset)
  }

  /** Forgets aborted transactions wholly below the log start offset. */
  prune(logStartOffset: number): void {
    this.aborted = this.aborted.filter((a) => a.lastOffset >= logStartOffset)
  }

  toJSON(offset: number): string {
    const snap: Snapshot = {
      offset,
      producers: [...this.producers].map(([id, e]) => [String(id), e]),
      aborted: this.aborted.map((a) => ({ ...a, producerId: String(a.producerId) })),
    }
    return JSON.stringify(snap)
  }

  /** Restores a snapshot; returns the offset it describes the log up to, or null if unreadable. */
  static fromJSON(text: string): { state: ProducerState; offset: number } | null {
    try {
      const snap = JSON.parse(text) as Snapshot
      const state = new ProducerState()
      for (const [id, e] of snap.producers) state.producers.set(BigInt(id), e)
      state.aborted = snap.aborted.map((a) => ({ ...a, producerId: BigInt(a.producerId) }))
      if (!Number.isInteger(snap.offset)) return null
      return { state, offset: snap.offset }
    } catch {
      return null
    }
  }
}
