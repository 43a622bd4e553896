// One segment: a .log file of v2 batches exactly as received (offsets assigned), with its sparse
// offset and time indexes. A segment knows its bytes and offsets; the partition decides when to
// write, fsync, roll and delete.
import fs from 'node:fs'
import path from 'node:path'
import { checkBatch } from '../protocol/records/header.ts'
import * as L from '../protocol/records/layout.ts'
import { closeFd, readAt } from './fsio.ts'
import { OffsetIndex, TimeIndex } from './sparse-index.ts'

export function segmentFileName(baseOffset: number, ext: '.log' | '.index' | '.timeindex'): string {
  return `${String(baseOffset).padStart(20, '0')}${ext}`
}

/** Base offsets of the segments found in a partition directory, ascending. */
export function listSegmentBases(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /^\d{20}\.log$/.test(f))
    .map((f) => Number(f.slice(0, 20)))
    .sort((a, b) => a - b)
}

const SCAN_CHUNK = 8 * 1024 * 1024
/** A single node is always the leader, in epoch 0; appends stamp it into every batch as Kafka leaders do. */
export const LEADER_EPOCH = 0

/** A read raced with retention or compaction replacing the segment; the caller looks it up again. */
export class SegmentRetiredError extends Error {
  constructor() {
    super('segment was retired')
  }
}

export class Segment {
  readonly dir: string
  readonly baseOffset: number
  readonly indexIntervalBytes: number
  fd: number
  /** Bytes assigned to this segment, including ones still queued for writing. */
  size = 0
  /** Offset after the last assigned batch. */
  nextOffset: number
  maxTimestamp = -1
  offsetOfMaxTimestamp = -1
  /** Wall-clock time of the first append (for segment.ms). */
  createdAt: number
  offsetIndex = new OffsetIndex()
  timeIndex = new TimeIndex()
  private bytesSinceIndex = 0
  /** Append-mode fds of the .index and .timeindex files, opened on the first flush (small appends are hot). */
  private indexFds: [number, number] | null = null
  /** Reads in flight; the fd is closed only when none remain. */
  private refs = 0
  retired = false
  /** Bytes of this segment on disk and durable under the topic's fsync policy: the readable part. */
  durableSize = 0
  /** Bytes written to the file so far. */
  writtenSize = 0
  /** Whether the directory entry of a newly created file still needs an fsync. */
  dirDirty = false

  private constructor(dir: string, baseOffset: number, fd: number, indexIntervalBytes: number) {
    this.dir = dir
    this.baseOffset = baseOffset
    this.fd = fd
    this.indexIntervalBytes = indexIntervalBytes
    this.nextOffset = baseOffset
    this.createdAt = Date.now()
  }

  path(ext: '.log' | '.index' | '.timeindex'): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, ext))
  }

  /**
   * A new, empty segment. Its file is created only by `ensureFile`, which the writer calls after the
   * bytes of earlier segments are written: a crash can then never leave a newer segment file behind
   * an older one's missing tail, which would open as a gap in the offsets.
   */
  static create(dir: string, baseOffset: number, indexIntervalBytes: number): Segment {
    const seg = new Segment(dir, baseOffset, -1, indexIntervalBytes)
    seg.dirDirty = true
    return seg
  }

  ensureFile(): void {
    if (this.fd >= 0) return
    for (const ext of ['.index', '.timeindex'] as const) fs.rmSync(this.path(ext), { force: true })
    this.fd = fs.openSync(this.path('.log'), 'w+')
  }

  /**
   * Opens an existing segment. With `fullScan` (after an unclean shutdown) every batch is checked;
   * otherwise only the part after the last index entry is. Either way the file is truncated at the
   * first incomplete or corrupt batch and missing or inconsistent indexes are rebuilt.
   * With `strict` (the active segment, which compaction never touches) offsets must also be
   * contiguous and the leader epoch ours: damage to the fields the CRC does not cover is caught too.
   * Returns the segment and how many bytes were cut off.
   */
  static open(
    dir: string,
    baseOffset: number,
    indexIntervalBytes: number,
    mode: { fullScan: boolean; strict: boolean },
  ): { segment: Segment; truncated: number } {
    const fullScan = mode.fullScan
    const file = path.join(dir, segmentFileName(baseOffset, '.log'))
    const fd = fs.openSync(file, 'r+')
    const seg = new Segment(dir, baseOffset, fd, indexIntervalBytes)
    seg.createdAt = fs.fstatSync(fd).mtimeMs
    const fileSize = fs.fstatSync(fd).size
    let start = 0
    let rebuild = fullScan
    if (!rebuild) {
      const oi = OffsetIndex.load(seg.path('.index'), fileSize)
      const ti = oi && TimeIndex.load(seg.path('.timeindex'), 0x7fffffff)
      if (oi && ti) {
        seg.offsetIndex = oi
        seg.timeIndex = ti
        if (oi.length > 0) {
          // Index entries hold the base offset of the batch at their position.
          start = oi.positions[oi.length - 1]!
          seg.nextOffset = baseOffset + oi.relOffsets[oi.length - 1]!
        }
        if (ti.length > 0) {
          seg.maxTimestamp = ti.timestamps[ti.length - 1]!
          seg.offsetOfMaxTimestamp = baseOffset + ti.relOffsets[ti.length - 1]!
        }
      } else rebuild = true
    }
    if (rebuild) {
      seg.offsetIndex = new OffsetIndex()
      seg.timeIndex = new TimeIndex()
      start = 0
    }
    const validEnd = seg.scan(start, fileSize, rebuild, mode.strict)
    if (validEnd < fileSize) {
      fs.ftruncateSync(fd, validEnd)
      seg.offsetIndex.truncateToPosition(validEnd)
      seg.timeIndex.truncateToRelOffset(seg.nextOffset - baseOffset)
    }
    if (rebuild || validEnd < fileSize) seg.rewriteIndexFiles()
    seg.writtenSize = seg.durableSize = validEnd
    return { segment: seg, truncated: fileSize - validEnd }
  }

  /**
   * Reads the file synchronously from `start` and calls `visit` with each complete batch (its length
   * field is trusted, nothing else is checked), until `visit` returns false, a batch is cut off by
   * `end`, or its length field is unusable. Returns the position after the last accepted batch.
   */
  forEachBatchSync(
    start: number,
    end: number,
    visit: (buf: Buffer, at: number, size: number, filePos: number) => boolean,
  ): number {
    let pos = start
    let chunk = Buffer.alloc(0)
    let chunkStart = start
    while (pos < end) {
      let rel = pos - chunkStart
      const avail = chunk.length - rel
      // Bytes needed for the next batch: its declared size once the length field is readable.
      const need =
        avail >= L.LOG_OVERHEAD
          ? Math.max(L.LOG_OVERHEAD, chunk.readInt32BE(rel + L.BATCH_LENGTH) + L.LOG_OVERHEAD)
          : L.LOG_OVERHEAD
      if (avail < need) {
        if (chunkStart + chunk.length >= end && chunk.length > 0) break // the file ends mid-batch
        const len = Math.min(Math.max(SCAN_CHUNK, need), end - pos)
        chunk = Buffer.allocUnsafe(len)
        chunk = chunk.subarray(0, fs.readSync(this.fd, chunk, 0, len, pos))
        chunkStart = pos
        rel = 0
        if (
          chunk.length < L.LOG_OVERHEAD ||
          chunk.length < chunk.readInt32BE(L.BATCH_LENGTH) + L.LOG_OVERHEAD
        )
          break
      }
      const size = chunk.readInt32BE(rel + L.BATCH_LENGTH) + L.LOG_OVERHEAD
      if (size < L.LOG_OVERHEAD || !visit(chunk, rel, size, pos)) break
      pos += size
    }
    return pos
  }

  /** Walks batches from `start`, checking each; returns the end of the last valid batch. */
  private scan(start: number, fileSize: number, rebuildingIndex: boolean, strict: boolean): number {
    // Entries from a loaded index already cover the batch at `start`; do not add it again.
    let skipFirstIndexEntry = !rebuildingIndex && this.offsetIndex.length > 0
    if (skipFirstIndexEntry) this.bytesSinceIndex = 0
    const end = this.forEachBatchSync(start, fileSize, (chunk, rel, _size, pos) => {
      const size = checkBatch(chunk, rel)
      if (typeof size !== 'number') return false
      const base = Number(chunk.readBigInt64BE(rel + L.BASE_OFFSET))
      if (base < this.nextOffset || base < this.baseOffset) return false // offsets must increase
      if (
        strict &&
        (base !== this.nextOffset || chunk.readInt32BE(rel + L.PARTITION_LEADER_EPOCH) !== LEADER_EPOCH)
      ) {
        return false
      }
      this.noteBatch(chunk, rel, pos, size, skipFirstIndexEntry)
      skipFirstIndexEntry = false
      return true
    })
    this.size = end
    return end
  }

  /** Records a batch placed at file position `filePos`: offsets, timestamps and index entries. */
  noteBatch(buf: Buffer, at: number, filePos: number, size: number, alreadyIndexed = false): void {
    const base = Number(buf.readBigInt64BE(at + L.BASE_OFFSET))
    const last = base + buf.readInt32BE(at + L.LAST_OFFSET_DELTA)
    const maxTs = Number(buf.readBigInt64BE(at + L.MAX_TIMESTAMP))
    if (maxTs > this.maxTimestamp) {
      this.maxTimestamp = maxTs
      this.offsetOfMaxTimestamp = base
    }
    if (
      !alreadyIndexed &&
      (this.offsetIndex.length === 0 ? filePos > 0 : true) &&
      this.bytesSinceIndex >= this.indexIntervalBytes
    ) {
      this.offsetIndex.add(base - this.baseOffset, filePos)
      if (this.maxTimestamp > this.timeIndex.lastTimestamp) {
        this.timeIndex.add(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset)
      }
      this.bytesSinceIndex = 0
    }
    this.bytesSinceIndex += size
    this.nextOffset = last + 1
    this.size = filePos + size
  }

  /** Adds the final time index entry so the segment's max timestamp survives a reopen. */
  sealTimeIndex(): void {
    if (this.maxTimestamp > this.timeIndex.lastTimestamp) {
      this.timeIndex.add(this.maxTimestamp, this.offsetOfMaxTimestamp - this.baseOffset)
    }
  }

  /** Appends index entries not yet in the files (no fsync: indexes are rebuilt after a crash). */
  flushIndexes(): void {
    if (this.fd < 0) return
    if (this.offsetIndex.persisted < this.offsetIndex.length) {
      this.indexFds ??= [fs.openSync(this.path('.index'), 'a'), fs.openSync(this.path('.timeindex'), 'a')]
      fs.writeSync(this.indexFds[0], this.offsetIndex.encode(this.offsetIndex.persisted))
      this.offsetIndex.persisted = this.offsetIndex.length
    }
    if (this.timeIndex.persisted < this.timeIndex.length) {
      this.indexFds ??= [fs.openSync(this.path('.index'), 'a'), fs.openSync(this.path('.timeindex'), 'a')]
      fs.writeSync(this.indexFds[1], this.timeIndex.encode(this.timeIndex.persisted))
      this.timeIndex.persisted = this.timeIndex.length
    }
  }

  private closeIndexFiles(): void {
    if (!this.indexFds) return
    for (const fd of this.indexFds) fs.closeSync(fd)
    this.indexFds = null
  }

  rewriteIndexFiles(): void {
    this.closeIndexFiles()
    fs.writeFileSync(this.path('.index'), this.offsetIndex.encode())
    fs.writeFileSync(this.path('.timeindex'), this.timeIndex.encode())
    this.offsetIndex.persisted = this.offsetIndex.length
    this.timeIndex.persisted = this.timeIndex.length
  }

  /** Reads bytes; the fd stays open until the read completes even if the segment is retired meanwhile. */
  async read(position: number, length: number): Promise<Buffer> {
    if (this.retired) throw new SegmentRetiredError()
    this.refs++
    try {
      return await readAt(this.fd, length, position)
    } finally {
      this.refs--
      if (this.retired && this.refs === 0) await closeFd(this.fd).catch(() => {})
    }
  }

  /** Stops using the segment: its fd closes once in-flight reads finish. */
  async retire(): Promise<void> {
    this.retired = true
    this.closeIndexFiles()
    if (this.refs === 0 && this.fd >= 0) await closeFd(this.fd).catch(() => {})
  }

  /** Deletes the segment's files; open reads keep working on the unlinked inode. */
  async delete(): Promise<void> {
    for (const ext of ['.log', '.index', '.timeindex'] as const) fs.rmSync(this.path(ext), { force: true })
    await this.retire()
  }
}
