// LZ4 frames as other clients may write them (block/content checksums, content size, linked blocks,
// concatenated and skippable frames), built by hand, and decoded through both decoding paths: the
// whole-frame native path and the bomb-safe block-by-block path.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import * as lz4 from 'lz4-napi'
import { CompressionError } from './errors.ts'
import { compressLz4, decompressLz4, decompressLz4Async } from './lz4.ts'
import { xxh32 } from './xxhash32.ts'

const LIMIT = 64 * 1024 * 1024
const MAGIC = Buffer.from('04224d18', 'hex')

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n >>> 0, 0)
  return b
}

interface FrameSpec {
  blocks: { data: Buffer; stored?: boolean }[]
  linked?: boolean
  blockChecksums?: boolean
  contentSize?: number
  /** Content whose XXH32 is appended as the content checksum. */
  contentChecksumOf?: Buffer
  sizeId?: number
}

/** Builds an LZ4 frame per the spec (lz4 Frame Format 1.6.x), checksums included. */
function frame(spec: FrameSpec): Buffer {
  let flg = 0x40
  if (!spec.linked) flg |= 0x20
  if (spec.blockChecksums) flg |= 0x10
  if (spec.contentSize !== undefined) flg |= 0x08
  if (spec.contentChecksumOf) flg |= 0x04
  const desc: Buffer[] = [Buffer.from([flg, (spec.sizeId ?? 4) << 4])]
  if (spec.contentSize !== undefined) {
    const cs = Buffer.alloc(8)
    cs.writeBigUInt64LE(BigInt(spec.contentSize))
    desc.push(cs)
  }
  const d = Buffer.concat(desc)
  const parts: Buffer[] = [MAGIC, d, Buffer.from([(xxh32(d) >>> 8) & 0xff])]
  for (const b of spec.blocks) {
    parts.push(u32(b.data.length | (b.stored ? 0x80000000 : 0)), b.data)
    if (spec.blockChecksums) parts.push(u32(xxh32(b.data)))
  }
  parts.push(u32(0))
  if (spec.contentChecksumOf) parts.push(u32(xxh32(spec.contentChecksumOf)))
  return Buffer.concat(parts)
}

/** A raw LZ4 block (lz4-napi's block API prefixes the uncompressed size; strip it). */
function rawBlock(data: Buffer): Buffer {
  return lz4.compressSync(data).subarray(4)
}

function decodeBoth(data: Buffer, limit = LIMIT): Buffer[] {
  return [decompressLz4(data, limit), decompressLz4(data, limit, { forceBlockwise: true })]
}

async function decodeBothAsync(data: Buffer, limit = LIMIT): Promise<Buffer[]> {
  return [
    await decompressLz4Async(data, limit),
    await decompressLz4Async(data, limit, { forceBlockwise: true }),
  ]
}

function reason(r: CompressionError['reason']) {
  return (e: unknown) => e instanceof CompressionError && e.reason === r && e.message.startsWith('lz4: ')
}

function throwsBoth(data: Buffer, r: CompressionError['reason'], label: string, limit = LIMIT): void {
  assert.throws(() => decompressLz4(data, limit), reason(r), `${label} (frame path)`)
  assert.throws(
    () => decompressLz4(data, limit, { forceBlockwise: true }),
    reason(r),
    `${label} (block path)`,
  )
}

describe('xxh32', () => {
  test('reference vectors', () => {
    const h = (s: string) => xxh32(Buffer.from(s)).toString(16).padStart(8, '0')
    assert.equal(h(''), '02cc5d05')
    assert.equal(h('a'), '550d7456')
    assert.equal(h('abc'), '32d153ff')
    assert.equal(h('Nobody inspects the spammish repetition'), 'e2293b2f')
  })

  test('agrees with lz4-napi on header, block and content checksums', () => {
    const data = Buffer.from('lorem ipsum dolor sit amet '.repeat(5000))
    const f = lz4.compressFrameSync(data, { blockChecksums: true, contentChecksum: true })
    assert.equal(f[6], (xxh32(f.subarray(4, 6)) >>> 8) & 0xff)
    const size = f.readUInt32LE(7) & 0x7fffffff
    assert.equal(f.readUInt32LE(11 + size), xxh32(f.subarray(11, 11 + size)))
    assert.equal(f.readUInt32LE(f.length - 4), xxh32(data))
  })
})

describe('compress', () => {
  test('writes a Kafka-compatible frame: v01, independent blocks, 64 KiB-4 MiB blocks, valid HC', () => {
    const f = compressLz4(Buffer.from('kafka '.repeat(50_000)))
    assert.deepEqual(f.subarray(0, 4), MAGIC)
    const flg = f[4]!
    const bd = f[5]!
    assert.equal(flg >> 6, 1)
    assert.equal(flg & 0x20, 0x20, 'blocks must be independent for the Java client')
    assert.equal(flg & 0x01, 0, 'no dictionary')
    const sizeId = (bd >> 4) & 7
    assert.ok(sizeId >= 4 && sizeId <= 7)
    assert.equal(f[6], (xxh32(f.subarray(4, 6)) >>> 8) & 0xff)
  })

  test('empty input is a frame with only an end mark', () => {
    assert.equal(compressLz4(Buffer.alloc(0)).toString('hex'), '04224d1860408200000000')
    assert.deepEqual(decodeBoth(compressLz4(Buffer.alloc(0))), [Buffer.alloc(0), Buffer.alloc(0)])
  })
})

describe('frames from other writers', () => {
  const a = Buffer.from('The quick brown fox jumps over the lazy dog. '.repeat(2000))
  const b = Buffer.from('Pack my box with five dozen liquor jugs. '.repeat(1000))

  test('block checksums, content checksum and content size all set', async () => {
    const f = frame({
      blocks: [{ data: rawBlock(a.subarray(0, 65536)) }, { data: rawBlock(a.subarray(65536)) }],
      blockChecksums: true,
      contentSize: a.length,
      contentChecksumOf: a,
    })
    assert.deepEqual(decodeBoth(f), [a, a])
    assert.deepEqual(await decodeBothAsync(f), [a, a])
  })

  test("lz4-napi's own checksummed frames", () => {
    const f = lz4.compressFrameSync(a, { blockChecksums: true, contentChecksum: true })
    assert.deepEqual(decodeBoth(f), [a, a])
  })

  test('stored (uncompressed) blocks and a 4 MiB block size', () => {
    const f = frame({ blocks: [{ data: b, stored: true }, { data: rawBlock(a) }], sizeId: 7 })
    const expected = Buffer.concat([b, a])
    assert.deepEqual(decodeBoth(f), [expected, expected])
  })

  test('linked blocks referring back into the previous block', async () => {
    // Block 2: token 0x0C (no literals, match length 4+12=16) with offset 16, i.e. a copy of all of
    // block 1, then the mandatory final literals "tail!". Undecodable without block 1 as history.
    const block1 = Buffer.from('abcdefgh12345678')
    const block2 = Buffer.concat([Buffer.from([0x0c, 0x10, 0x00, 0x50]), Buffer.from('tail!')])
    const expected = 'abcdefgh12345678abcdefgh12345678tail!'
    const linked = frame({ blocks: [{ data: block1, stored: true }, { data: block2 }], linked: true })
    assert.deepEqual(
      decodeBoth(linked).map((x) => x.toString()),
      [expected, expected],
    )
    assert.deepEqual(
      (await decodeBothAsync(linked)).map((x) => x.toString()),
      [expected, expected],
    )
    // The same blocks in a frame that claims independence must fail.
    throwsBoth(
      frame({ blocks: [{ data: block1, stored: true }, { data: block2 }] }),
      'corrupt',
      'independent',
    )
  })

  test('linked blocks with a window spanning several earlier blocks', () => {
    // Five small stored blocks, then a block copying 40 bytes from 50 bytes back (across blocks).
    const stored = ['0123456789', 'abcdefghij', 'ABCDEFGHIJ', 'klmnopqrst', 'KLMNOPQRST'].map((s) => ({
      data: Buffer.from(s),
      stored: true,
    }))
    const copy = Buffer.concat([Buffer.from([0x0f, 0x32, 0x00, 0x15, 0x50]), Buffer.from('done!')])
    const f = frame({ blocks: [...stored, { data: copy }], linked: true })
    const history = '0123456789abcdefghijABCDEFGHIJklmnopqrstKLMNOPQRST'
    const expected = `${history}${history.slice(0, 40)}done!`
    assert.deepEqual(
      decodeBoth(f).map((x) => x.toString()),
      [expected, expected],
    )
  })

  test('concatenated frames and skippable frames', async () => {
    const skippable = Buffer.concat([u32(0x184d2a5f), u32(3), Buffer.from('xyz')])
    const f = Buffer.concat([compressLz4(a), skippable, compressLz4(b), frame({ blocks: [] })])
    const expected = Buffer.concat([a, b])
    assert.deepEqual(decodeBoth(f), [expected, expected])
    assert.deepEqual(await decodeBothAsync(f), [expected, expected])
    assert.deepEqual(decodeBoth(skippable), [Buffer.alloc(0), Buffer.alloc(0)])
  })
})

describe('malformed frames', () => {
  const data = Buffer.from('some record batch payload '.repeat(3000))
  const good = compressLz4(data)

  test('truncation anywhere is an error (the native decoder alone would accept some)', () => {
    for (const cut of [4, 6, 7, 10, 11, 20, good.length - 5, good.length - 4, good.length - 1]) {
      throwsBoth(good.subarray(0, cut), 'corrupt', `cut at ${cut}`)
    }
  })

  test('header problems', () => {
    const patch = (at: number, value: number, fixHc = true) => {
      const f = Buffer.from(good)
      f[at] = value
      if (fixHc) f[6] = (xxh32(f.subarray(4, 6)) >>> 8) & 0xff
      return f
    }
    throwsBoth(patch(6, good[6]! ^ 0xff, false), 'corrupt', 'header checksum')
    throwsBoth(patch(0, 0x05), 'corrupt', 'magic')
    throwsBoth(patch(4, 0x80 | (good[4]! & 0x3f)), 'corrupt', 'version')
    throwsBoth(patch(4, good[4]! | 0x02), 'corrupt', 'reserved FLG bit')
    throwsBoth(patch(4, good[4]! | 0x01), 'corrupt', 'dictionary id')
    throwsBoth(patch(5, 0x30), 'corrupt', 'block size id 3')
    throwsBoth(patch(5, good[5]! | 0x01), 'corrupt', 'reserved BD bits')
    throwsBoth(Buffer.from('02214c18aabbccdd', 'hex'), 'corrupt', 'legacy format')
  })

  test('bad blocks and checksums', () => {
    const a = Buffer.from('x'.repeat(1000) + 'y'.repeat(1000))
    const blk = rawBlock(a)
    throwsBoth(frame({ blocks: [{ data: Buffer.from([0xf0, 0x01]) }] }), 'corrupt', 'garbage block')
    const badChecksum = frame({ blocks: [{ data: blk }], blockChecksums: true })
    badChecksum[badChecksum.length - 5] = badChecksum[badChecksum.length - 5]! ^ 1
    throwsBoth(badChecksum, 'corrupt', 'block checksum')
    throwsBoth(
      frame({ blocks: [{ data: blk }], contentChecksumOf: Buffer.from('other') }),
      'corrupt',
      'content checksum',
    )
    throwsBoth(frame({ blocks: [{ data: blk }], contentSize: a.length - 1 }), 'corrupt', 'content size')
    throwsBoth(
      frame({ blocks: [{ data: Buffer.alloc(65537), stored: true }] }),
      'corrupt',
      'block over max size',
    )
    throwsBoth(Buffer.concat([good, Buffer.from('junk')]), 'corrupt', 'trailing junk')
  })

  test('a declared content size over the limit is refused before decoding', () => {
    const f = frame({ blocks: [{ data: rawBlock(data) }], contentSize: 2 ** 40 })
    throwsBoth(f, 'too-large', 'declared', LIMIT)
  })
})

describe('output limit', () => {
  const zeros = Buffer.alloc(1024 * 1024)
  const bomb = compressLz4(zeros)

  test('a bomb whose bound exceeds the limit still decodes block by block when it fits', () => {
    // 1 MiB - 100 zeros: every compressed block bounds to the full 64 KiB, the short last one too, so
    // the bound (1 MiB) is over a limit of the exact size and decoding automatically goes block by block.
    const short = zeros.subarray(100)
    assert.deepEqual(decompressLz4(compressLz4(short), short.length), short)
    assert.deepEqual(decompressLz4(bomb, zeros.length), zeros)
    throwsBoth(bomb, 'too-large', 'one byte short', zeros.length - 1)
  })

  test('linked-block frames honour the limit too', () => {
    const block1 = Buffer.from('abcdefgh12345678')
    const block2 = Buffer.concat([Buffer.from([0x0c, 0x10, 0x00, 0x50]), Buffer.from('tail!')])
    const f = frame({ blocks: [{ data: block1, stored: true }, { data: block2 }], linked: true })
    assert.equal(decompressLz4(f, 37).length, 37)
    throwsBoth(f, 'too-large', 'linked', 36)
  })

  test('async paths enforce the limit', async () => {
    await assert.rejects(decompressLz4Async(bomb, 1000), reason('too-large'))
    await assert.rejects(decompressLz4Async(bomb, 1000, { forceBlockwise: true }), reason('too-large'))
  })
})
