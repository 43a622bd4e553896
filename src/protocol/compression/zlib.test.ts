// gzip and zstd fixtures: multi-member gzip, zstd without a content size (as streaming encoders such as
// zstd-jni write it), concatenated and skippable zstd frames, and the per-frame output limit.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import zlib from 'node:zlib'
import { CompressionError } from './errors.ts'
import {
  compressZstd,
  decompressGzip,
  decompressGzipAsync,
  decompressZstd,
  decompressZstdAsync,
} from './zlib.ts'

const LIMIT = 64 * 1024 * 1024

/** gzip member of "Hello, " (level 6) followed by a member of "Riffle!" (level 1), from Node 24's zlib. */
const GZIP_TWO_MEMBERS = Buffer.from(
  '1f8b0800000000000003f348cdc9c9d7510000056f57de07000000' +
    '1f8b08000000000004030bca4c4bcb49550400b8eecc1b07000000',
  'hex',
)

/**
 * What Node's streaming ZstdCompress wrote for the chunks "streamed ", "zstd ", "frame": a frame whose
 * header (FHD 0x00) has no content size, then an empty single-segment frame emitted at end().
 */
const ZSTD_STREAMED = Buffer.from(
  '28b52ffd005899000073747265616d6564207a737464206672616d65' + '28b52ffd2000010000',
  'hex',
)

function reason(r: CompressionError['reason'], name: string) {
  return (e: unknown) => e instanceof CompressionError && e.reason === r && e.message.startsWith(`${name}: `)
}

/** Frame_Content_Size_flag and Single_Segment_flag of the frame header descriptor. */
function hasContentSize(frame: Buffer): boolean {
  const fhd = frame[4]!
  return fhd >> 6 !== 0 || (fhd & 0x20) !== 0
}

async function zstdStream(chunks: Buffer[]): Promise<Buffer> {
  const enc = zlib.createZstdCompress()
  const out: Buffer[] = []
  enc.on('data', (c: Buffer) => out.push(c))
  const done = new Promise((resolve, reject) => {
    enc.on('end', resolve)
    enc.on('error', reject)
  })
  for (const c of chunks) enc.write(c)
  enc.end()
  await done
  return Buffer.concat(out)
}

test('gzip: two concatenated members', async () => {
  assert.equal(decompressGzip(GZIP_TWO_MEMBERS, LIMIT).toString(), 'Hello, Riffle!')
  assert.equal((await decompressGzipAsync(GZIP_TWO_MEMBERS, LIMIT)).toString(), 'Hello, Riffle!')
})

test('gzip: the limit counts all members', () => {
  assert.equal(decompressGzip(GZIP_TWO_MEMBERS, 14).toString(), 'Hello, Riffle!')
  assert.throws(() => decompressGzip(GZIP_TWO_MEMBERS, 13), reason('too-large', 'gzip'))
})

test('gzip: bad CRC, trailing garbage, truncated second member', async () => {
  const badCrc = Buffer.from(GZIP_TWO_MEMBERS)
  badCrc[19] = badCrc[19]! ^ 1
  const cases = [
    badCrc,
    Buffer.concat([GZIP_TWO_MEMBERS, Buffer.from('garbage')]),
    GZIP_TWO_MEMBERS.subarray(0, GZIP_TWO_MEMBERS.length - 3),
  ]
  for (const data of cases) {
    assert.throws(() => decompressGzip(data, LIMIT), reason('corrupt', 'gzip'))
    await assert.rejects(decompressGzipAsync(data, LIMIT), reason('corrupt', 'gzip'))
  }
})

test('zstd: fixture from the streaming API, without content size', async () => {
  assert.equal(hasContentSize(ZSTD_STREAMED), false)
  assert.equal(decompressZstd(ZSTD_STREAMED, LIMIT).toString(), 'streamed zstd frame')
  assert.equal((await decompressZstdAsync(ZSTD_STREAMED, LIMIT)).toString(), 'streamed zstd frame')
})

test('zstd: freshly streamed large frame without content size', async () => {
  const chunk = Buffer.from('{"k":"v","n":12345}\n'.repeat(5000))
  const streamed = await zstdStream([chunk, chunk, chunk, chunk])
  assert.equal(hasContentSize(streamed), false)
  const expected = Buffer.concat([chunk, chunk, chunk, chunk])
  assert.deepEqual(decompressZstd(streamed, LIMIT), expected)
  assert.deepEqual(await decompressZstdAsync(streamed, LIMIT), expected)
  assert.throws(() => decompressZstd(streamed, expected.length - 1), reason('too-large', 'zstd'))
})

test('zstd: every concatenated frame is decoded, skippable frames are skipped', async () => {
  const skippable = Buffer.from('5a2a4d1803000000abcdef', 'hex')
  const data = Buffer.concat([compressZstd(Buffer.from('one ')), skippable, compressZstd(Buffer.from('two'))])
  assert.equal(decompressZstd(data, LIMIT).toString(), 'one two')
  assert.equal((await decompressZstdAsync(data, LIMIT)).toString(), 'one two')
  assert.equal(decompressZstd(skippable, LIMIT).length, 0)
})

test('zstd: the limit spans frames', async () => {
  const frame = compressZstd(Buffer.alloc(600, 1))
  const two = Buffer.concat([frame, frame])
  assert.equal(decompressZstd(two, 1200).length, 1200)
  assert.throws(() => decompressZstd(two, 1199), reason('too-large', 'zstd'))
  assert.throws(() => decompressZstd(two, 1000), reason('too-large', 'zstd'))
  await assert.rejects(decompressZstdAsync(two, 1000), reason('too-large', 'zstd'))
})

test('zstd: trailing junk, truncated skippable frame, truncated second frame', async () => {
  const one = compressZstd(Buffer.from('payload'))
  const cases = [
    Buffer.concat([one, Buffer.from('junk')]),
    Buffer.concat([one, Buffer.from('502a4d18ff000000', 'hex')]),
    Buffer.concat([one, one.subarray(0, one.length - 2)]),
    Buffer.concat([one, Buffer.from([0x28, 0xb5])]),
  ]
  for (const data of cases) {
    assert.throws(() => decompressZstd(data, LIMIT), reason('corrupt', 'zstd'))
    await assert.rejects(decompressZstdAsync(data, LIMIT), reason('corrupt', 'zstd'))
  }
})
