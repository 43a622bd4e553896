// LZ4 for Kafka v2 batches: the standard LZ4 frame format (magic 04 22 4D 18, with the correct header
// checksum that pre-v2 Kafka famously got wrong).
//
// Why not just hand the bytes to lz4-napi's frame decoder? Two reasons found by testing it: it returns
// a short or empty result for truncated frames instead of failing, and it grows its output as it goes,
// so an LZ4 bomb (up to ~255x expansion per input byte) is fully allocated before anyone can say no.
// So we first walk the frame structure ourselves (cheap: headers only), which validates magic, flags,
// header checksum, block sizes, the end mark and any trailing frames, and yields a hard upper bound on
// the output (a block decodes to at most min(block max size, 255 x its compressed size)). Then:
//  - bound <= maxOutputBytes (every realistic batch): each frame goes to the native frame decoder, which
//    also verifies block/content checksums and the declared content size;
//  - otherwise: blocks are decoded one by one natively (lz4-napi's block API, capacity = block max size,
//    with the previous 64 KiB as dictionary for linked-block frames), checksums are verified here, and
//    decoding stops as soon as the real output passes the limit (so at most limit + one block is held).
// Frames from other clients may carry block checksums, a content checksum or a content size; all are
// accepted; a declared content size over the limit is refused up front, but it is never trusted as the
// bound (a lying header must not let a bomb through). Frames needing a preset dictionary are rejected:
// no Kafka client writes them.
//
// Compression uses lz4-napi's frame encoder defaults: independent 64 KiB blocks and no checksums, which
// is what Kafka's Java reader (KafkaLZ4BlockInputStream, one block at a time, no linked blocks) expects.
import * as lz4 from 'lz4-napi'
import { corrupt, tooLarge, wrapNative } from './errors.ts'
import { xxh32 } from './xxhash32.ts'

const CODEC = 3
const MAGIC = 0x184d2204
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
const LEGACY_MAGIC = 0x184c2102
const WINDOW = 64 * 1024
/** Worst-case LZ4 block expansion: output bytes per compressed byte (match-length bytes add 255 each). */
const MAX_EXPANSION = 255

interface Lz4Block {
  data: Buffer
  stored: boolean
  checksum: number | undefined
}

interface Lz4Frame {
  bytes: Buffer
  blockMax: number
  linked: boolean
  contentSize: number | undefined
  contentChecksum: number | undefined
  blocks: Lz4Block[]
  bound: number
}

export function compressLz4(data: Buffer): Buffer {
  return lz4.compressFrameSync(data)
}

export function compressLz4Async(data: Buffer): Promise<Buffer> {
  return lz4.compressFrame(data)
}

function need(data: Buffer, pos: number, n: number, what: string): void {
  if (data.length - pos < n) throw corrupt(CODEC, `truncated input: ${what} at byte ${pos}`)
}

/** Validates the structure of every frame in `data` (concatenated frames are allowed). */
function walk(data: Buffer, maxOutputBytes: number): Lz4Frame[] {
  if (data.length === 0) throw corrupt(CODEC, 'empty input')
  const frames: Lz4Frame[] = []
  let pos = 0
  while (pos < data.length) {
    need(data, pos, 4, 'frame magic')
    const magic = data.readUInt32LE(pos)
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      need(data, pos, 8, 'skippable frame header')
      const size = data.readUInt32LE(pos + 4)
      need(data, pos + 8, size, 'skippable frame')
      pos += 8 + size
      continue
    }
    if (magic === LEGACY_MAGIC)
      throw corrupt(CODEC, 'legacy LZ4 format is not supported, expected LZ4 frames')
    if (magic !== MAGIC) throw corrupt(CODEC, `bad frame magic 0x${magic.toString(16)} at byte ${pos}`)
    const start = pos
    pos += 4
    need(data, pos, 2, 'frame descriptor')
    const flg = data[pos]!
    const bd = data[pos + 1]!
    if (flg >> 6 !== 1) throw corrupt(CODEC, `unsupported frame version ${flg >> 6}`)
    if (flg & 0x02 || bd & 0x8f) throw corrupt(CODEC, 'reserved bits set in frame descriptor')
    if (flg & 0x01) throw corrupt(CODEC, 'frames with a preset dictionary are not supported')
    const sizeId = (bd >> 4) & 0x07
    if (sizeId < 4) throw corrupt(CODEC, `invalid block maximum size id ${sizeId}`)
    const blockMax = 1 << (2 * sizeId + 8)
    const linked = (flg & 0x20) === 0
    const hasBlockChecksum = (flg & 0x10) !== 0
    const hasContentSize = (flg & 0x08) !== 0
    const hasContentChecksum = (flg & 0x04) !== 0
    const descEnd = pos + 2 + (hasContentSize ? 8 : 0)
    need(data, pos, descEnd - pos + 1, 'frame descriptor')
    let contentSize: number | undefined
    if (hasContentSize) {
      const declared = data.readBigUInt64LE(pos + 2)
      if (declared > BigInt(maxOutputBytes)) throw tooLarge(CODEC, maxOutputBytes, 'declared content size')
      contentSize = Number(declared)
    }
    if (data[descEnd] !== ((xxh32(data.subarray(pos, descEnd)) >>> 8) & 0xff)) {
      throw corrupt(CODEC, 'frame header checksum mismatch')
    }
    pos = descEnd + 1
    const blocks: Lz4Block[] = []
    let bound = 0
    for (;;) {
      need(data, pos, 4, 'block size')
      const word = data.readUInt32LE(pos)
      pos += 4
      if (word === 0) break // end mark
      const stored = word >= 0x80000000
      const size = word & 0x7fffffff
      if (size > blockMax) throw corrupt(CODEC, `block of ${size} bytes exceeds the frame's ${blockMax}`)
      need(data, pos, size + (hasBlockChecksum ? 4 : 0), 'block')
      const checksum = hasBlockChecksum ? data.readUInt32LE(pos + size) : undefined
      blocks.push({ data: data.subarray(pos, pos + size), stored, checksum })
      bound += stored ? size : Math.min(blockMax, size * MAX_EXPANSION)
      pos += size + (hasBlockChecksum ? 4 : 0)
    }
    let contentChecksum: number | undefined
    if (hasContentChecksum) {
      need(data, pos, 4, 'content checksum')
      contentChecksum = data.readUInt32LE(pos)
      pos += 4
    }
    frames.push({
      bytes: data.subarray(start, pos),
      blockMax,
      linked,
      contentSize,
      contentChecksum,
      blocks,
      bound,
    })
  }
  return frames
}

/** What the generator below asks its driver to decode natively. */
type Request = { frame: Buffer } | { block: Buffer; dict: Buffer | undefined }

/** The last 64 KiB of a frame's output so far: the window linked blocks may refer back into. */
function window(parts: Buffer[]): Buffer | undefined {
  if (parts.length === 0) return undefined
  const last = parts[parts.length - 1]!
  if (last.length >= WINDOW) return last.subarray(last.length - WINDOW)
  const tail: Buffer[] = []
  let n = 0
  for (let i = parts.length - 1; i >= 0 && n < WINDOW; i--) {
    tail.unshift(parts[i]!)
    n += parts[i]!.length
  }
  const joined = Buffer.concat(tail)
  return joined.subarray(Math.max(0, joined.length - WINDOW))
}

/**
 * The decoding plan, written once as a generator so the sync and async drivers share it: it yields
 * native work and receives the decoded bytes back.
 */
function* decode(
  data: Buffer,
  maxOutputBytes: number,
  forceBlockwise: boolean,
): Generator<Request, Buffer, Buffer> {
  const frames = walk(data, maxOutputBytes)
  const bound = frames.reduce((sum, f) => sum + f.bound, 0)
  const blockwise = forceBlockwise || bound > maxOutputBytes
  const out: Buffer[] = []
  let produced = 0
  for (const f of frames) {
    const parts: Buffer[] = []
    let frameSize = 0
    if (!blockwise) {
      const decoded = yield { frame: f.bytes }
      parts.push(decoded)
      frameSize = decoded.length
    } else {
      for (const b of f.blocks) {
        if (b.checksum !== undefined && xxh32(b.data) !== b.checksum)
          throw corrupt(CODEC, 'block checksum mismatch')
        let decoded: Buffer
        if (b.stored) {
          decoded = b.data
        } else {
          const input = Buffer.allocUnsafe(4 + b.data.length)
          input.writeUInt32LE(f.blockMax, 0) // capacity: a valid block never decodes to more
          b.data.copy(input, 4)
          decoded = yield { block: input, dict: f.linked ? window(parts) : undefined }
        }
        parts.push(decoded)
        frameSize += decoded.length
        if (produced + frameSize > maxOutputBytes) throw tooLarge(CODEC, maxOutputBytes)
      }
    }
    if (f.contentSize !== undefined && frameSize !== f.contentSize) {
      throw corrupt(CODEC, `frame decoded to ${frameSize} bytes but declares ${f.contentSize}`)
    }
    if (blockwise && f.contentChecksum !== undefined && xxh32(Buffer.concat(parts)) !== f.contentChecksum) {
      throw corrupt(CODEC, 'content checksum mismatch')
    }
    produced += frameSize
    if (produced > maxOutputBytes) throw tooLarge(CODEC, maxOutputBytes)
    out.push(...parts)
  }
  return out.length === 1 ? out[0]! : Buffer.concat(out, produced)
}

export interface Lz4DecodeOptions {
  /** Testing hook: take the block-by-block path even when the whole-frame path would be safe. */
  forceBlockwise?: boolean
}

export function decompressLz4(data: Buffer, maxOutputBytes: number, options: Lz4DecodeOptions = {}): Buffer {
  const plan = decode(data, maxOutputBytes, options.forceBlockwise ?? false)
  let step = plan.next()
  while (!step.done) {
    const req = step.value
    let decoded: Buffer
    try {
      decoded = 'frame' in req ? lz4.decompressFrameSync(req.frame) : lz4.uncompressSync(req.block, req.dict)
    } catch (e) {
      throw wrapNative(CODEC, e)
    }
    step = plan.next(decoded)
  }
  return step.value
}

export async function decompressLz4Async(
  data: Buffer,
  maxOutputBytes: number,
  options: Lz4DecodeOptions = {},
): Promise<Buffer> {
  const plan = decode(data, maxOutputBytes, options.forceBlockwise ?? false)
  let step = plan.next()
  while (!step.done) {
    const req = step.value
    let decoded: Buffer
    try {
      decoded = await ('frame' in req ? lz4.decompressFrame(req.frame) : lz4.uncompress(req.block, req.dict))
    } catch (e) {
      throw wrapNative(CODEC, e)
    }
    step = plan.next(decoded)
  }
  return step.value
}
