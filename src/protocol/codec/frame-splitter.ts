// Cuts a TCP byte stream into Kafka frames (int32 big-endian size, then that many bytes). Frames that
// lie wholly inside one received chunk are handed out as views of it, with no copy; only a frame that
// straddles chunks is assembled, into a buffer allocated once at its exact size. Memory handed out is
// never written again, which is what lets decoders return zero-copy views (record batches) into frames.
// The size limit is checked as soon as the 4-byte prefix is known, before buffering anything, so a
// client cannot make the broker allocate more than the limit.

import { FrameTooLargeError } from './errors.ts'

/** Kafka's default socket.request.max.bytes. */
export const DEFAULT_MAX_FRAME_SIZE = 100 * 1024 * 1024

export class FrameSplitter {
  readonly maxFrameSize: number
  /** Partial size prefix carried over between chunks. */
  private readonly sizeBytes = Buffer.alloc(4)
  private sizeFilled = 0
  /** Frame being assembled across chunks, or null. */
  private body: Buffer | null = null
  private bodyFilled = 0

  constructor(maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {
    this.maxFrameSize = maxFrameSize
  }

  /** Bytes of the incomplete frame received so far, size prefix included. */
  get pendingBytes(): number {
    return this.body === null ? this.sizeFilled : 4 + this.bodyFilled
  }

  /**
   * Consumes one chunk and calls `onFrame` for every frame it completes (payload without the size
   * prefix). Throws FrameTooLargeError on an oversized or negative size; the stream cannot be resynced
   * after that, so the connection should be closed.
   */
  push(chunk: Buffer, onFrame: (frame: Buffer) => void): void {
    let off = 0
    const len = chunk.length
    while (off < len) {
      if (this.body !== null) {
        const take = Math.min(this.body.length - this.bodyFilled, len - off)
        chunk.copy(this.body, this.bodyFilled, off, off + take)
        this.bodyFilled += take
        off += take
        if (this.bodyFilled === this.body.length) {
          const frame = this.body
          this.body = null
          this.bodyFilled = 0
          onFrame(frame)
        }
        continue
      }
      let size: number
      if (this.sizeFilled === 0 && len - off >= 4) {
        size = chunk.readInt32BE(off)
        off += 4
      } else {
        const take = Math.min(4 - this.sizeFilled, len - off)
        chunk.copy(this.sizeBytes, this.sizeFilled, off, off + take)
        this.sizeFilled += take
        off += take
        if (this.sizeFilled < 4) return
        this.sizeFilled = 0
        size = this.sizeBytes.readInt32BE(0)
      }
      if (size < 0 || size > this.maxFrameSize) throw new FrameTooLargeError(size, this.maxFrameSize)
      if (len - off >= size) {
        onFrame(chunk.subarray(off, off + size))
        off += size
      } else {
        this.body = Buffer.allocUnsafe(size)
        this.bodyFilled = 0
      }
    }
  }
}
