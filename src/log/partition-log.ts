// One partition's log: an ordered list of segments, the only writer to them, and the reader API.
//
// Appends are validated and given offsets synchronously, so offsets follow call order; the bytes
// then go through a single writer loop per partition. While one write+fsync is in flight, further
// appends queue up and the next round writes and fsyncs them together: group commit, so many
// concurrent producers pay for one fsync. Readers only see the durable prefix (the high watermark),
// so a consumer never observes data a crash could take back.
import fs from 'node:fs'
import path from 'node:path'
import { RiffleError } from '../core/errors.ts'
import { childLogger } from '../core/logging.ts'
import { CONTROL_COMMIT, controlType, encodeMarkerBatch } from '../protocol/records/control.ts'
import { batchProblemError, checkBatch, restampCrc } from '../protocol/records/header.ts'
import { readBatchHeader } from '../protocol/records/header.ts'
import * as L from '../protocol/records/layout.ts'
import { decodeRecordBatch, decodeRecords } from '../protocol/records/record.ts'
import { type BatchView, batchesOf } from './batch-cursor.ts'
import type { LogConfig } from './config.ts'
import { datasync, fsyncDir, writeAllAt, writeFileAtomic, writeFileAtomicAsync } from './fsio.ts'
import { ProducerState, type SequenceVerdict } from './producer-state.ts'
import { LEADER_EPOCH, Segment, SegmentRetiredError, listSegmentBases } from './segment.ts'

export interface AppendResult {
  baseOffset: number
  lastOffset: number
  /** The broker's timestamp for LogAppendTime topics, else -1. */
  logAppendTime: number
  logStartOffset: number
  /** True when the batch was a producer's retry of one already in the log (nothing was written). */
  duplicate: boolean
}

export interface ReadResult {
  /** Whole batches, as stored; empty when nothing is available at the offset. */
  bytes: Buffer
  highWatermark: number
  logStartOffset: number
}

interface Piece {
  segment: Segment
  bytes: Buffer
}

interface PendingAppend {
  pieces: Piece[]
  endOffset: number
  resolve: () => void
  reject: (e: unknown) => void
}

const logger = childLogger('log')
const LOG_START_FILE = 'log-start-offset'
const PRODUCER_SNAPSHOT = 'producer-state.json'
/** Producer state is snapshotted when the durable log has grown this much since the last snapshot. */
const SNAPSHOT_EVERY_BYTES = 16 * 1024 * 1024
const MAX_RELATIVE_OFFSET = 0x7fffffff

/** Whether the batch after `b` lies wholly inside the buffer `b` was read into. */
function nextBatchInWindow(b: BatchView): boolean {
  const next = b.at + b.size
  return (
    next + L.LOG_OVERHEAD <= b.buf.length &&
    next + L.LOG_OVERHEAD + b.buf.readInt32BE(next + L.BATCH_LENGTH) <= b.buf.length
  )
}

export class PartitionLog {
  readonly dir: string
  config: LogConfig
  segments: Segment[] = []
  logStartOffset = 0
  /** Next offset to assign. */
  logEndOffset = 0
  /** Offsets below this are written and durable: the readable end of the log. */
  highWatermark = 0
  /** Bytes cut off the tail during recovery on open. */
  readonly recoveredTruncation: number

  /** Counters for metrics and tests: writer rounds and fsyncs (fewer fsyncs than appends = group commit). */
  readonly stats = { writeRounds: 0, fsyncs: 0 }
  /** Idempotent/transactional producer state and aborted transactions, derived from the log. */
  producers = new ProducerState()
  private bytesSinceSnapshot = 0
  private snapshotBusy = false
  private snapshotting: Promise<void> = Promise.resolve()
  private queue: PendingAppend[] = []
  private writing = false
  private failure: RiffleError | null = null
  private closed = false
  private dirtySinceSync = false
  private syncTimer: NodeJS.Timeout | null = null
  private readonly listeners = new Set<() => void>()
  /** Serialises maintenance (retention, compaction, delete-records) on this partition. */
  private maintenance: Promise<unknown> = Promise.resolve()

  private constructor(dir: string, config: LogConfig, truncated: number) {
    this.dir = dir
    this.config = config
    this.recoveredTruncation = truncated
  }

  /**
   * Opens (creating if needed) the partition in `dir`. `uncleanShutdown` makes recovery check every
   * batch of the last segment instead of only the part after its last index entry.
   */
  static open(dir: string, config: LogConfig, options: { uncleanShutdown?: boolean } = {}): PartitionLog {
    fs.mkdirSync(dir, { recursive: true })
    for (const f of fs.readdirSync(dir))
      if (f.endsWith('.tmp') || f.endsWith('.cleaned')) fs.rmSync(path.join(dir, f))
    const bases = listSegmentBases(dir)
    let truncated = 0
    const segments: Segment[] = []
    bases.forEach((base, i) => {
      const last = i === bases.length - 1
      const opened = Segment.open(dir, base, config.indexIntervalBytes, {
        fullScan: last && options.uncleanShutdown === true,
        strict: last,
      })
      truncated += opened.truncated
      segments.push(opened.segment)
    })
    const log = new PartitionLog(dir, config, truncated)
    let start = 0
    try {
      start = Number(fs.readFileSync(path.join(dir, LOG_START_FILE), 'utf8'))
    } catch {}
    if (segments.length === 0) {
      segments.push(Segment.create(dir, start, config.indexIntervalBytes))
      segments[0]!.ensureFile()
      fsyncDir(dir)
      segments[0]!.dirDirty = false
    }
    log.segments = segments
    log.logStartOffset = Math.max(start, segments[0]!.baseOffset)
    log.logEndOffset = log.highWatermark = segments[segments.length - 1]!.nextOffset
    log.logStartOffset = Math.min(log.logStartOffset, log.logEndOffset)
    log.restoreProducerState()
    log.applySyncTimer()
    return log
  }

  get activeSegment(): Segment {
    return this.segments[this.segments.length - 1]!
  }

  get sizeInBytes(): number {
    let n = 0
    for (const s of this.segments) n += s.size
    return n
  }

  /** Registers a callback run whenever the high watermark advances (for long-polling fetches). */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  updateConfig(config: LogConfig): void {
    this.config = config
    this.applySyncTimer()
  }

  private applySyncTimer(): void {
    if (this.syncTimer) clearInterval(this.syncTimer)
    this.syncTimer = null
    if (this.config.fsync.kind === 'interval') {
      this.syncTimer = setInterval(() => {
        if (this.dirtySinceSync && !this.closed) this.flush().catch(() => {})
      }, this.config.fsync.ms)
      this.syncTimer.unref()
    }
  }

  /**
   * Appends one or more concatenated v2 batches (as in a produce request). Every batch is checked
   * first; if any is malformed nothing is written. Offsets are assigned by rewriting each batch's
   * baseOffset in place, so `records` is owned by the log afterwards. Resolves once the topic's
   * durability policy is met: after the fsync for `fsync: always`, after the write otherwise.
   */
  append(records: Buffer): Promise<AppendResult> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.closed) return Promise.reject(new RiffleError('CLOSED', 'the partition log is closed'))
    const sizes: number[] = []
    for (let pos = 0; pos < records.length; ) {
      const size = checkBatch(records, pos)
      if (typeof size !== 'number')
        return Promise.reject(batchProblemError(size, `batch ${sizes.length} at byte ${pos}`))
      if (size > this.config.maxMessageBytes) {
        return Promise.reject(
          new RiffleError(
            'RECORD_TOO_LARGE',
            `a batch of ${size} bytes exceeds max.message.bytes (${this.config.maxMessageBytes})`,
          ),
        )
      }
      if ((records.readInt16BE(pos + L.ATTRIBUTES) & L.ATTR_CONTROL) !== 0) {
        return Promise.reject(new RiffleError('INVALID_RECORD', 'clients may not write control batches'))
      }
      sizes.push(size)
      pos += size
    }
    if (sizes.length === 0)
      return Promise.reject(new RiffleError('CORRUPT_MESSAGE', 'no record batch in the request'))
    const producerId = records.readBigInt64BE(L.PRODUCER_ID)
    if (producerId < 0n) return this.enqueue(records, sizes)
    // Idempotent or transactional: one batch per append, as Kafka requires of produce requests.
    if (sizes.length > 1) {
      return Promise.reject(
        new RiffleError('INVALID_RECORD', 'an idempotent produce carries exactly one batch per partition'),
      )
    }
    const epoch = records.readInt16BE(L.PRODUCER_EPOCH)
    const firstSeq = records.readInt32BE(L.BASE_SEQUENCE)
    const lastSeq = (firstSeq + records.readInt32BE(L.LAST_OFFSET_DELTA)) % 0x80000000
    let verdict: SequenceVerdict
    try {
      verdict = this.producers.check(producerId, epoch, firstSeq, lastSeq)
    } catch (e) {
      return Promise.reject(e)
    }
    if (verdict.kind === 'duplicate') {
      // A retry of a batch already in the log: answer with its original offsets once it is durable.
      const { firstOffset, lastOffset } = verdict.batch
      return this.durableUpTo(lastOffset + 1).then(() => ({
        baseOffset: firstOffset,
        lastOffset,
        logAppendTime: -1,
        logStartOffset: this.logStartOffset,
        duplicate: true,
      }))
    }
    const transactional = (records.readInt16BE(L.ATTRIBUTES) & L.ATTR_TRANSACTIONAL) !== 0
    return this.enqueue(records, sizes, (base, last) =>
      this.producers.onBatch(
        producerId,
        epoch,
        { firstSeq, lastSeq, firstOffset: base, lastOffset: last },
        transactional,
      ),
    )
  }

  /**
   * Writes a transaction marker (a control batch) for `producerId`: commit or abort of its open
   * transaction on this partition. A marker from an epoch older than the producer's is refused.
   */
  appendMarker(marker: {
    producerId: bigint
    producerEpoch: number
    commit: boolean
    coordinatorEpoch: number
  }): Promise<AppendResult> {
    if (this.failure) return Promise.reject(this.failure)
    if (this.closed) return Promise.reject(new RiffleError('CLOSED', 'the partition log is closed'))
    try {
      this.producers.checkMarker(marker.producerId, marker.producerEpoch)
    } catch (e) {
      return Promise.reject(e)
    }
    const batch = encodeMarkerBatch(marker)
    return this.enqueue(batch, [batch.length], (base) =>
      this.producers.onMarker(
        marker.producerId,
        marker.producerEpoch,
        marker.commit,
        marker.coordinatorEpoch,
        base,
      ),
    )
  }

  /**
   * Loads the producer-state snapshot, if it describes a prefix of this log, and replays the batch
   * headers written after it (all of the log without one). Runs synchronously during open.
   */
  private restoreProducerState(): void {
    let from = this.segments[0]!.baseOffset
    let text: string | null = null
    try {
      text = fs.readFileSync(path.join(this.dir, PRODUCER_SNAPSHOT), 'utf8')
    } catch {}
    const restored = text === null ? null : ProducerState.fromJSON(text)
    if (restored && restored.offset <= this.logEndOffset && restored.offset >= from) {
      this.producers = restored.state
      from = restored.offset
    }
    for (const seg of this.segments) {
      if (seg.nextOffset <= from) continue
      const start = seg.baseOffset < from ? seg.offsetIndex.lookup(from - seg.baseOffset) : 0
      seg.forEachBatchSync(start, seg.durableSize, (buf, at) => {
        this.replayBatch(buf, at, from)
        return true
      })
    }
    this.producers.prune(this.logStartOffset)
  }

  /** Applies one stored batch to the producer state (no checks: the log already holds it). */
  private replayBatch(buf: Buffer, at: number, from: number): void {
    const base = Number(buf.readBigInt64BE(at + L.BASE_OFFSET))
    const lastOffset = base + buf.readInt32BE(at + L.LAST_OFFSET_DELTA)
    const producerId = buf.readBigInt64BE(at + L.PRODUCER_ID)
    if (lastOffset < from || producerId < 0n) return
    const attributes = buf.readInt16BE(at + L.ATTRIBUTES)
    const epoch = buf.readInt16BE(at + L.PRODUCER_EPOCH)
    if ((attributes & L.ATTR_CONTROL) !== 0) {
      const header = readBatchHeader(buf, at)
      const [marker] = decodeRecords(buf.subarray(at + L.HEADER_SIZE, at + header.size), header)
      const coordinatorEpoch = marker?.value && marker.value.length >= 6 ? marker.value.readInt32BE(2) : -1
      this.producers.onMarker(
        producerId,
        epoch,
        controlType(marker?.key ?? null) === CONTROL_COMMIT,
        coordinatorEpoch,
        base,
      )
      return
    }
    const firstSeq = buf.readInt32BE(at + L.BASE_SEQUENCE)
    const lastSeq = (firstSeq + buf.readInt32BE(at + L.LAST_OFFSET_DELTA)) % 0x80000000
    const transactional = (attributes & L.ATTR_TRANSACTIONAL) !== 0
    this.producers.onBatch(
      producerId,
      epoch,
      { firstSeq, lastSeq, firstOffset: base, lastOffset },
      transactional,
    )
  }

  /**
   * Writes the producer-state snapshot when it matches the durable log end exactly (nothing queued)
   * and the log has grown enough since the last one, or always with `force` (on close). The state
   * is captured at that moment; the file is written off the event loop, one write at a time.
   */
  private maybeSnapshot(force = false): Promise<void> {
    if (this.failure || this.queue.length > 0 || this.highWatermark !== this.logEndOffset)
      return this.snapshotting
    if (!force && (this.bytesSinceSnapshot < SNAPSHOT_EVERY_BYTES || this.snapshotBusy))
      return this.snapshotting
    this.producers.prune(this.logStartOffset)
    const json = this.producers.toJSON(this.logEndOffset)
    this.bytesSinceSnapshot = 0
    this.snapshotBusy = true
    this.snapshotting = this.snapshotting
      .then(() => writeFileAtomicAsync(path.join(this.dir, PRODUCER_SNAPSHOT), json))
      .catch((e) =>
        logger.warn(
          { dir: this.dir, err: (e as Error).message },
          'producer snapshot failed; the log is replayed on open',
        ),
      )
      .finally(() => {
        this.snapshotBusy = false
      })
    return this.snapshotting
  }

  /** Resolves once the high watermark reaches `offset`. */
  private async durableUpTo(offset: number): Promise<void> {
    while (this.highWatermark < offset) {
      if (this.failure) throw this.failure
      await new Promise<void>((resolve) => {
        const off = this.onAppend(() => {
          off()
          resolve()
        })
      })
    }
  }

  /** First offset of the earliest open transaction, capped by the high watermark. */
  get lastStableOffset(): number {
    const unstable = this.producers.firstUnstableOffset()
    return unstable === null ? this.highWatermark : Math.min(unstable, this.highWatermark)
  }

  /** Aborted transactions overlapping [from, to), for read_committed fetches. */
  abortedTransactions(from: number, to: number): Array<{ producerId: bigint; firstOffset: number }> {
    return this.producers
      .abortedOverlapping(from, to)
      .map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }))
  }

  /** Producer ids with an open transaction on this partition. */
  openTransactions(): bigint[] {
    return this.producers.openTransactions()
  }

  /**
   * Assigns offsets to checked batches and queues them for the writer. `onAssigned` runs for the
   * first batch right after its offsets are fixed, so producer state follows call order exactly.
   */
  private enqueue(
    records: Buffer,
    sizes: number[],
    onAssigned?: (base: number, last: number) => void,
  ): Promise<AppendResult> {
    const now = Date.now()
    const logAppend = this.config.timestampType === 'LogAppendTime'
    const pieces: Piece[] = []
    const baseOffset = this.logEndOffset
    for (let i = 0, pos = 0; i < sizes.length; pos += sizes[i]!, i++) {
      const size = sizes[i]!
      const lastDelta = records.readInt32BE(pos + L.LAST_OFFSET_DELTA)
      this.maybeRoll(size, lastDelta, now)
      const seg = this.activeSegment
      records.writeBigInt64BE(BigInt(this.logEndOffset), pos + L.BASE_OFFSET)
      records.writeInt32BE(LEADER_EPOCH, pos + L.PARTITION_LEADER_EPOCH)
      if (logAppend) {
        records.writeInt16BE(
          records.readInt16BE(pos + L.ATTRIBUTES) | L.ATTR_TIMESTAMP_TYPE,
          pos + L.ATTRIBUTES,
        )
        records.writeBigInt64BE(BigInt(now), pos + L.MAX_TIMESTAMP)
        restampCrc(records, pos, size)
      }
      if (seg.size === 0) seg.createdAt = now
      seg.noteBatch(records, pos, seg.size, size)
      this.logEndOffset = seg.nextOffset
      this.bytesSinceSnapshot += size
      const last = pieces[pieces.length - 1]
      if (last && last.segment === seg) {
        // Consecutive batches for one segment stay one contiguous slice of the request.
        last.bytes = records.subarray(pos - last.bytes.length, pos + size)
      } else pieces.push({ segment: seg, bytes: records.subarray(pos, pos + size) })
    }
    onAssigned?.(baseOffset, this.logEndOffset - 1)
    const result: AppendResult = {
      baseOffset,
      lastOffset: this.logEndOffset - 1,
      logAppendTime: logAppend ? now : -1,
      logStartOffset: this.logStartOffset,
      duplicate: false,
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ pieces, endOffset: this.logEndOffset, resolve: () => resolve(result), reject })
      if (!this.writing) void this.drain()
    })
  }

  private maybeRoll(incoming: number, lastDelta: number, now: number): void {
    const seg = this.activeSegment
    if (seg.size === 0) return
    const full = seg.size + incoming > this.config.segmentBytes
    const old = now - seg.createdAt >= this.config.segmentMs
    const overflow = this.logEndOffset + lastDelta - seg.baseOffset > MAX_RELATIVE_OFFSET
    if (full || old || overflow) this.roll()
  }

  /** Starts a new active segment at the log end offset; the writer seals the previous one. */
  roll(): void {
    if (this.activeSegment.size === 0) return
    this.segments.push(Segment.create(this.dir, this.logEndOffset, this.config.indexIntervalBytes))
  }

  /** The writer loop: one per partition, taking everything queued each round (group commit). */
  private async drain(): Promise<void> {
    this.writing = true
    let group: PendingAppend[] = []
    try {
      while (this.queue.length > 0) {
        group = this.queue
        this.queue = []
        const touched: Segment[] = []
        let runSeg: Segment | null = null
        let run: Buffer[] = []
        const writeRun = async (): Promise<void> => {
          if (!runSeg || run.length === 0) return
          let bytes = 0
          for (const b of run) bytes += b.length
          runSeg.ensureFile()
          await writeAllAt(runSeg.fd, run, runSeg.writtenSize)
          runSeg.writtenSize += bytes
          run = []
        }
        for (const p of group) {
          for (const piece of p.pieces) {
            if (piece.segment !== runSeg) {
              await writeRun()
              runSeg = piece.segment
              if (!touched.includes(runSeg)) touched.push(runSeg)
            }
            run.push(piece.bytes)
          }
        }
        await writeRun()
        const always = this.config.fsync.kind === 'always'
        for (const seg of touched) {
          if (seg.dirDirty) {
            fsyncDir(this.dir)
            seg.dirDirty = false
          }
        }
        // A segment that is no longer active is complete: seal it and make it durable under any policy.
        const sealed = touched.filter((s) => s !== this.activeSegment)
        for (const s of this.segments)
          if (
            s !== this.activeSegment &&
            s.writtenSize === s.size &&
            s.durableSize < s.size &&
            !sealed.includes(s)
          )
            sealed.push(s)
        const syncing = touched.filter((s) => always || sealed.includes(s))
        await Promise.all(syncing.map((s) => datasync(s.fd)))
        this.stats.fsyncs += syncing.length
        this.stats.writeRounds++
        for (const s of sealed) s.sealTimeIndex()
        for (const s of touched) {
          s.flushIndexes()
          s.durableSize = s.writtenSize
        }
        if (!always) this.dirtySinceSync = true
        this.highWatermark = group[group.length - 1]!.endOffset
        for (const p of group) p.resolve()
        group = []
        void this.maybeSnapshot()
        for (const l of this.listeners) l()
      }
    } catch (e) {
      // The bytes on disk no longer match what offsets were promised: refuse further appends
      // until the partition is reopened, which recovers to the last valid batch.
      this.failure = new RiffleError(
        'STORAGE_ERROR',
        `writing to ${this.dir} failed: ${(e as Error).message}`,
        { cause: e },
      )
      for (const p of group.concat(this.queue)) p.reject(this.failure)
      this.queue = []
    } finally {
      this.writing = false
    }
  }

  /** Resolves when everything appended so far is written and fsynced. */
  async flush(): Promise<void> {
    await this.idle()
    this.dirtySinceSync = false
    if (this.activeSegment.fd < 0) return
    await datasync(this.activeSegment.fd)
    this.stats.fsyncs++
  }

  /** Waits until the writer has nothing queued. */
  private async idle(): Promise<void> {
    while (this.writing || this.queue.length > 0) {
      await new Promise<void>((resolve) => {
        const off = this.onAppend(() => {
          off()
          resolve()
        })
        if (this.failure) resolve()
      })
      if (this.failure) throw this.failure
    }
  }

  private segmentIndexFor(offset: number): number {
    let lo = 0
    let hi = this.segments.length - 1
    let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.segments[mid]!.baseOffset <= offset) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  /**
   * Reads whole batches starting with the one holding `offset`, up to `maxBytes` (at least one
   * batch, however large, so a consumer always progresses). Bytes are returned exactly as stored.
   */
  async read(offset: number, maxBytes: number, limit = this.highWatermark): Promise<ReadResult> {
    for (;;) {
      try {
        return await this.readOnce(offset, maxBytes, Math.min(limit, this.highWatermark))
      } catch (e) {
        if (!(e instanceof SegmentRetiredError)) throw e
      }
    }
  }

  /** `limit`: batches starting at or beyond it are not returned (the LSO for read_committed). */
  private async readOnce(offset: number, maxBytes: number, limit: number): Promise<ReadResult> {
    const empty = (): ReadResult => ({
      bytes: Buffer.alloc(0),
      highWatermark: this.highWatermark,
      logStartOffset: this.logStartOffset,
    })
    if (offset < this.logStartOffset || offset > this.highWatermark) {
      throw new RiffleError(
        'OFFSET_OUT_OF_RANGE',
        `offset ${offset} is outside the log [${this.logStartOffset}, ${this.highWatermark}]`,
      )
    }
    if (offset >= limit) return empty()
    const segments = this.segments
    for (let i = this.segmentIndexFor(offset); i < segments.length; i++) {
      const seg = segments[i]!
      const start = seg.baseOffset <= offset ? seg.offsetIndex.lookup(offset - seg.baseOffset) : 0
      const segEnd = seg.durableSize
      let from = -1
      let fromBuf: Buffer | null = null
      let end = 0
      // Window size: enough for the requested bytes plus the index gap before the target batch.
      const window = Math.min(Math.max(maxBytes, 4096) + seg.indexIntervalBytes + 512, 8 * 1024 * 1024)
      for await (const b of batchesOf(seg, start, segEnd, window)) {
        if (b.lastOffset < offset) continue
        if (b.baseOffset >= limit) break
        if (from < 0) {
          from = b.at
          fromBuf = b.buf
        } else if (b.at + b.size - from > maxBytes) break
        end = b.at + b.size
        // Stay within the window already read (asking the cursor for a batch beyond it would read
        // the next window only to drop it); a fetch of more follows as the client's next request.
        if (end - from >= maxBytes || !nextBatchInWindow(b)) break
      }
      if (fromBuf) {
        return {
          bytes: fromBuf.subarray(from, end),
          highWatermark: this.highWatermark,
          logStartOffset: this.logStartOffset,
        }
      }
    }
    return empty()
  }

  /** The first offset whose record timestamp is ≥ `timestamp`, or null when there is none. */
  async offsetForTimestamp(timestamp: number): Promise<{ offset: number; timestamp: number } | null> {
    for (;;) {
      try {
        for (const seg of this.segments) {
          if (seg.maxTimestamp < timestamp) continue
          const scanRel = seg.timeIndex.scanStart(timestamp)
          const start = seg.offsetIndex.lookup(scanRel)
          for await (const b of batchesOf(seg, start, seg.durableSize)) {
            if (b.maxTimestamp < timestamp || b.lastOffset < this.logStartOffset) continue
            const { records } = decodeRecordBatch(b.buf, b.at)
            for (const r of records) {
              if (r.timestamp >= timestamp && Number(r.offset) >= this.logStartOffset) {
                return { offset: Number(r.offset), timestamp: r.timestamp }
              }
            }
          }
        }
        return null
      } catch (e) {
        if (!(e instanceof SegmentRetiredError)) throw e
      }
    }
  }

  /** The record with the largest timestamp (the first of them), or null for an empty log. */
  async maxTimestampRecord(): Promise<{ offset: number; timestamp: number } | null> {
    for (;;) {
      try {
        let best: Segment | null = null
        for (const s of this.segments)
          if (s.durableSize > 0 && (!best || s.maxTimestamp > best.maxTimestamp)) best = s
        if (!best) return null
        const start = best.offsetIndex.lookup(best.offsetOfMaxTimestamp - best.baseOffset)
        for await (const b of batchesOf(best, start, best.durableSize)) {
          if (b.maxTimestamp !== best.maxTimestamp) continue
          const r = decodeRecordBatch(b.buf, b.at).records.find((x) => x.timestamp === best.maxTimestamp)
          if (r && Number(r.offset) >= this.logStartOffset)
            return { offset: Number(r.offset), timestamp: r.timestamp }
        }
        return null
      } catch (e) {
        if (!(e instanceof SegmentRetiredError)) throw e
      }
    }
  }

  /** Runs `task` after any maintenance already running on this partition. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    const next = this.maintenance.then(task, task)
    this.maintenance = next.catch(() => {})
    return next
  }

  /** Advances the log start offset (DeleteRecords); whole segments below it are deleted. */
  deleteRecords(offset: number): Promise<number> {
    return this.exclusive(async () => {
      if (offset > this.highWatermark || offset < 0) {
        throw new RiffleError(
          'OFFSET_OUT_OF_RANGE',
          `cannot delete records below ${offset}: the high watermark is ${this.highWatermark}`,
        )
      }
      if (offset <= this.logStartOffset) return this.logStartOffset
      this.logStartOffset = offset
      writeFileAtomic(path.join(this.dir, LOG_START_FILE), String(offset))
      await this.dropSegmentsWhile((s) => s.nextOffset <= offset)
      return this.logStartOffset
    })
  }

  /** Deletes leading non-active segments while `doomed` holds; returns how many went. */
  private async dropSegmentsWhile(doomed: (s: Segment) => boolean): Promise<number> {
    let n = 0
    while (
      this.segments.length > 1 &&
      doomed(this.segments[0]!) &&
      this.segments[0]!.nextOffset <= this.highWatermark
    ) {
      const seg = this.segments.shift()!
      this.logStartOffset = Math.max(this.logStartOffset, this.segments[0]!.baseOffset)
      await seg.delete()
      n++
    }
    if (n > 0) {
      writeFileAtomic(path.join(this.dir, LOG_START_FILE), String(this.logStartOffset))
    }
    return n
  }

  /** Time- and size-based retention of whole segments (cleanup.policy=delete). */
  enforceRetention(now = Date.now()): Promise<number> {
    return this.exclusive(async () => {
      if (!this.config.cleanupPolicy.delete) return 0
      let deleted = 0
      const { retentionMs, retentionBytes } = this.config
      if (retentionMs >= 0) {
        const expired = (s: Segment): boolean => s.size > 0 && s.maxTimestamp < now - retentionMs
        // An expired active segment is rolled first so that it can go too (once fully durable).
        const active = this.activeSegment
        if (expired(active) && active.nextOffset === this.highWatermark && this.segments.every(expired))
          this.roll()
        deleted += await this.dropSegmentsWhile(expired)
      }
      if (retentionBytes >= 0) {
        let total = this.sizeInBytes
        deleted += await this.dropSegmentsWhile((s) => {
          if (total - s.size < retentionBytes) return false
          total -= s.size
          return true
        })
      }
      return deleted
    })
  }

  /** Swaps `oldSeg` for `newSeg` in place (compaction); readers of the old one finish on its fd. */
  async replaceSegment(oldSeg: Segment, newSeg: Segment): Promise<void> {
    const i = this.segments.indexOf(oldSeg)
    if (i < 0) throw new Error('segment to replace is not part of the log')
    this.segments = [...this.segments.slice(0, i), newSeg, ...this.segments.slice(i + 1)]
    await oldSeg.retire()
  }

  /** Flushes everything and closes the files; the log cannot be used afterwards. */
  async close(): Promise<void> {
    if (this.closed) return
    if (this.syncTimer) clearInterval(this.syncTimer)
    await this.exclusive(async () => {})
    if (!this.failure) await this.flush().catch(() => {})
    await this.maybeSnapshot(true)
    this.closed = true
    for (const s of this.segments) {
      if (!this.failure) {
        s.sealTimeIndex()
        s.flushIndexes()
      }
      await s.retire()
    }
  }

  /** Closes and deletes the partition's directory (topic deletion). */
  async destroy(): Promise<void> {
    await this.close()
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
