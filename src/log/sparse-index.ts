// The sparse offset and time indexes of a segment, in Kafka's on-disk layout (8-byte offset entries:
// relative offset + position; 12-byte time entries: timestamp + relative offset). Node has no mmap,
// so entries live in memory and the file is only appended to and reloaded; an index is a cache of
// facts derivable from the .log file, so a damaged one is simply rebuilt.
import fs from 'node:fs'

/** Largest index in a sorted array whose value is ≤ target, or -1. */
function floorIndex(values: ArrayLike<number>, length: number, target: number): number {
  let lo = 0
  let hi = length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    if (values[mid]! <= target) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

export class OffsetIndex {
  static readonly ENTRY = 8
  relOffsets: number[] = []
  positions: number[] = []
  /** Entries already in the file. */
  persisted = 0

  get length(): number {
    return this.relOffsets.length
  }

  add(relOffset: number, position: number): void {
    this.relOffsets.push(relOffset)
    this.positions.push(position)
  }

  /** Position of the last indexed batch at or before `relOffset` (0 when none). */
  lookup(relOffset: number): number {
    const i = floorIndex(this.relOffsets, this.relOffsets.length, relOffset)
    return i < 0 ? 0 : this.positions[i]!
  }

  /** Drops entries at or beyond `position` (after the log was truncated there). */
  truncateToPosition(position: number): void {
    let n = this.positions.length
    while (n > 0 && this.positions[n - 1]! >= position) n--
    this.relOffsets.length = n
    this.positions.length = n
    if (this.persisted > n) this.persisted = n
  }

  encode(from = 0): Buffer {
    const buf = Buffer.allocUnsafe((this.length - from) * OffsetIndex.ENTRY)
    for (let i = from, o = 0; i < this.length; i++, o += 8) {
      buf.writeInt32BE(this.relOffsets[i]!, o)
      buf.writeInt32BE(this.positions[i]!, o + 4)
    }
    return buf
  }

  /** Loads a file; returns null when it is missing or not internally consistent. */
  static load(path: string, logSize: number): OffsetIndex | null {
    let buf: Buffer
    try {
      buf = fs.readFileSync(path)
    } catch {
      return null
    }
    if (buf.length % OffsetIndex.ENTRY !== 0) return null
    const idx = new OffsetIndex()
    for (let o = 0; o < buf.length; o += 8) {
      const rel = buf.readInt32BE(o)
      const pos = buf.readInt32BE(o + 4)
      const n = idx.length
      if (rel < 0 || pos < 0 || pos >= logSize) return null
      if (n > 0 && (rel <= idx.relOffsets[n - 1]! || pos <= idx.positions[n - 1]!)) return null
      idx.add(rel, pos)
    }
    idx.persisted = idx.length
    return idx
  }
}

export class TimeIndex {
  static readonly ENTRY = 12
  timestamps: number[] = []
  relOffsets: number[] = []
  persisted = 0

  get length(): number {
    return this.timestamps.length
  }

  get lastTimestamp(): number {
    return this.length === 0 ? -1 : this.timestamps[this.length - 1]!
  }

  add(timestamp: number, relOffset: number): void {
    this.timestamps.push(timestamp)
    this.relOffsets.push(relOffset)
  }

  /**
   * Relative offset from which to scan for the first record with timestamp ≥ target: the entry
   * before the first whose max-timestamp-so-far reaches the target (0 when none).
   */
  scanStart(target: number): number {
    let lo = 0
    let hi = this.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if (this.timestamps[mid]! < target) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    return found < 0 ? 0 : this.relOffsets[found]!
  }

  truncateToRelOffset(relOffset: number): void {
    let n = this.length
    while (n > 0 && this.relOffsets[n - 1]! >= relOffset) n--
    this.timestamps.length = n
    this.relOffsets.length = n
    if (this.persisted > n) this.persisted = n
  }

  encode(from = 0): Buffer {
    const buf = Buffer.allocUnsafe((this.length - from) * TimeIndex.ENTRY)
    for (let i = from, o = 0; i < this.length; i++, o += 12) {
      buf.writeBigInt64BE(BigInt(this.timestamps[i]!), o)
      buf.writeInt32BE(this.relOffsets[i]!, o + 8)
    }
    return buf
  }

  static load(path: string, maxRelOffset: number): TimeIndex | null {
    let buf: Buffer
    try {
      buf = fs.readFileSync(path)
    } catch {
      return null
    }
    if (buf.length % TimeIndex.ENTRY !== 0) return null
    const idx = new TimeIndex()
    for (let o = 0; o < buf.length; o += 12) {
      const ts = Number(buf.readBigInt64BE(o))
      const rel = buf.readInt32BE(o + 8)
      const n = idx.length
      if (rel < 0 || rel > maxRelOffset) return null
      if (n > 0 && (ts < idx.timestamps[n - 1]! || rel < idx.relOffsets[n - 1]!)) return null
      idx.add(ts, rel)
    }
    idx.persisted = idx.length
    return idx
  }
}
