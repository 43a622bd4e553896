// Snappy as Kafka clients actually write it: the xerial "snappy-java" framing (Java client, librdkafka,
// kafkajs' snappy codec, kafka-python), not Google's snappy frame format that the `snappy` package
// streams. Layout: magic 82 'SNAPPY' 00, int32 BE version, int32 BE compatible version, then blocks of
// [int32 BE length][raw snappy block]. Some writers send one bare raw snappy block instead, so decoding
// detects the magic; no valid raw block can start with it (its first element would be a copy with no
// preceding output), so the test is unambiguous. Like snappy-java we also accept several xerial streams
// glued together (a block length can never start with 0x82, it would be negative).
//
// The native decoder allocates whatever a raw block's varint header claims (up to 4 GiB) before looking
// at the data, so every header is read and summed against maxOutputBytes first; only then is anything
// decoded, straight into one exactly-sized buffer. We write 32 KiB blocks like snappy-java, because
// readers allocate per block and some assume blocks of that order.
import * as snappy from 'snappy'
import { corrupt, tooLarge, wrapNative } from './errors.ts'

const CODEC = 2
const MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00])
const HEADER_SIZE = 16
const VERSION = 1
const COMPATIBLE_VERSION = 1
/** Uncompressed bytes per xerial block, snappy-java's default. */
export const XERIAL_BLOCK_SIZE = 32 * 1024

function xerialHeader(): Buffer {
  const h = Buffer.allocUnsafe(HEADER_SIZE)
  MAGIC.copy(h, 0)
  h.writeInt32BE(VERSION, 8)
  h.writeInt32BE(COMPATIBLE_VERSION, 12)
  return h
}

function hasMagic(data: Buffer, pos: number): boolean {
  return (
    data.length - pos >= MAGIC.length && data.compare(MAGIC, 0, MAGIC.length, pos, pos + MAGIC.length) === 0
  )
}

/** Splits input into the blocks compress() encodes. Empty input yields no blocks (header only). */
function split(data: Buffer): Buffer[] {
  const parts: Buffer[] = []
  for (let i = 0; i < data.length; i += XERIAL_BLOCK_SIZE) parts.push(data.subarray(i, i + XERIAL_BLOCK_SIZE))
  return parts
}

function frame(blocks: Buffer[]): Buffer {
  const out: Buffer[] = [xerialHeader()]
  for (const b of blocks) {
    const len = Buffer.allocUnsafe(4)
    len.writeInt32BE(b.length, 0)
    out.push(len, b)
  }
  return Buffer.concat(out)
}

export function compressSnappy(data: Buffer): Buffer {
  return frame(split(data).map((b) => snappy.compressSync(b)))
}

export async function compressSnappyAsync(data: Buffer): Promise<Buffer> {
  return frame(await Promise.all(split(data).map((b) => snappy.compress(b))))
}

/** The uncompressed length a raw snappy block declares in its leading varint (at most 32 bits). */
function declaredLength(block: Buffer): number {
  let value = 0
  for (let i = 0; i < block.length && i < 5; i++) {
    const b = block[i]!
    value += (b & 0x7f) * 2 ** (7 * i)
    if (b < 0x80) return value
  }
  throw corrupt(CODEC, 'bad uncompressed-length header in a raw snappy block')
}

interface Plan {
  blocks: Buffer[]
  lengths: number[]
  total: number
}

/** Finds every raw block and checks the sizes they declare, without decoding anything. */
function plan(data: Buffer, maxOutputBytes: number): Plan {
  const blocks: Buffer[] = []
  if (!hasMagic(data, 0)) {
    if (data.length === 0) throw corrupt(CODEC, 'empty input')
    blocks.push(data)
  } else {
    let pos = 0
    while (pos < data.length) {
      if (hasMagic(data, pos)) {
        if (data.length - pos < HEADER_SIZE) throw corrupt(CODEC, 'truncated snappy-java (xerial) header')
        pos += HEADER_SIZE
        continue
      }
      if (data.length - pos < 4) throw corrupt(CODEC, `truncated block length at byte ${pos}`)
      const len = data.readInt32BE(pos)
      pos += 4
      if (len <= 0) throw corrupt(CODEC, `invalid block length ${len} at byte ${pos - 4}`)
      if (len > data.length - pos) {
        throw corrupt(CODEC, `block of ${len} bytes at byte ${pos - 4} runs past the end of the input`)
      }
      blocks.push(data.subarray(pos, pos + len))
      pos += len
    }
  }
  const lengths: number[] = []
  let total = 0
  for (const b of blocks) {
    const n = declaredLength(b)
    total += n
    if (total > maxOutputBytes) throw tooLarge(CODEC, maxOutputBytes, 'declared decompressed size')
    lengths.push(n)
  }
  return { blocks, lengths, total }
}

function assemble(p: Plan, decoded: (Buffer | string)[]): Buffer {
  if (decoded.length === 1) return checked(decoded[0]!, p.lengths[0]!)
  const out = Buffer.allocUnsafe(p.total)
  let o = 0
  for (let i = 0; i < decoded.length; i++) o += checked(decoded[i]!, p.lengths[i]!).copy(out, o)
  return out
}

function checked(b: Buffer | string, expected: number): Buffer {
  // The native decoder already enforces this; the check keeps assemble() safe whatever it does.
  if (!Buffer.isBuffer(b) || b.length !== expected)
    throw corrupt(CODEC, 'block decoded to an unexpected size')
  return b
}

export function decompressSnappy(data: Buffer, maxOutputBytes: number): Buffer {
  const p = plan(data, maxOutputBytes)
  try {
    return assemble(
      p,
      p.blocks.map((b) => snappy.uncompressSync(b, { asBuffer: true })),
    )
  } catch (e) {
    throw wrapNative(CODEC, e)
  }
}

export async function decompressSnappyAsync(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  const p = plan(data, maxOutputBytes)
  try {
    return assemble(p, await Promise.all(p.blocks.map((b) => snappy.uncompress(b, { asBuffer: true }))))
  } catch (e) {
    throw wrapNative(CODEC, e)
  }
}
