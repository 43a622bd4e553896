// Snappy fixtures built by hand from raw snappy blocks, so the xerial framing is checked against the
// format itself rather than against our own encoder.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as snappy from 'snappy'
import { CompressionError } from './errors.ts'
import { XERIAL_BLOCK_SIZE, compressSnappy, decompressSnappy, decompressSnappyAsync } from './snappy.ts'

const LIMIT = 64 * 1024 * 1024

/** Raw snappy block: varint length 5, literal tag (5-1)<<2, "hello". */
const RAW_HELLO = Buffer.concat([Buffer.from([0x05, 0x10]), Buffer.from('hello')])
/** Raw snappy block: length 9, literal "abc", then copy (1-byte offset) of length 6 from offset 3. */
const RAW_ABC = Buffer.from('0908616263' + '0903', 'hex')

const XERIAL_HEADER = Buffer.from('82534e41505059000000000100000001', 'hex')

function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n, 0)
  return b
}

function xerial(...blocks: Buffer[]): Buffer {
  return Buffer.concat([XERIAL_HEADER, ...blocks.flatMap((b) => [int32(b.length), b])])
}

function reason(r: CompressionError['reason']) {
  return (e: unknown) => e instanceof CompressionError && e.reason === r && e.message.startsWith('snappy: ')
}

test('hand-made raw blocks are what we think they are', () => {
  assert.equal(snappy.uncompressSync(RAW_HELLO, { asBuffer: true }).toString(), 'hello')
  assert.equal(snappy.uncompressSync(RAW_ABC, { asBuffer: true }).toString(), 'abcabcabc')
})

test('decodes a hand-built xerial stream of two blocks', async () => {
  const stream = xerial(RAW_HELLO, RAW_ABC)
  assert.equal(
    stream.toString('hex'),
    '82534e41505059000000000100000001' + '00000007' + '051068656c6c6f' + '00000007' + '09086162630903',
  )
  assert.equal(decompressSnappy(stream, LIMIT).toString(), 'helloabcabcabc')
  assert.equal((await decompressSnappyAsync(stream, LIMIT)).toString(), 'helloabcabcabc')
})

test('decodes a bare raw snappy block (no xerial framing)', async () => {
  assert.equal(decompressSnappy(RAW_ABC, LIMIT).toString(), 'abcabcabc')
  assert.equal((await decompressSnappyAsync(RAW_HELLO, LIMIT)).toString(), 'hello')
  const big = Buffer.from('x'.repeat(100_000))
  assert.deepEqual(decompressSnappy(snappy.compressSync(big), LIMIT), big)
})

test('decodes concatenated xerial streams, like snappy-java', () => {
  const stream = Buffer.concat([xerial(RAW_HELLO), xerial(RAW_ABC, RAW_HELLO)])
  assert.equal(decompressSnappy(stream, LIMIT).toString(), 'helloabcabcabchello')
})

test('a header with no blocks is empty output', () => {
  assert.equal(decompressSnappy(XERIAL_HEADER, LIMIT).length, 0)
})

test('compress writes the xerial header and 32 KiB blocks', () => {
  const input = Buffer.alloc(3 * XERIAL_BLOCK_SIZE + 1696)
  for (let i = 0; i < input.length; i++) input[i] = (i * 31) % 251
  const out = compressSnappy(input)
  assert.deepEqual(out.subarray(0, 16), XERIAL_HEADER)
  const declared: number[] = []
  let pos = 16
  while (pos < out.length) {
    const len = out.readInt32BE(pos)
    const block = out.subarray(pos + 4, pos + 4 + len)
    declared.push(snappy.uncompressSync(block, { asBuffer: true }).length)
    pos += 4 + len
  }
  assert.equal(pos, out.length)
  assert.deepEqual(declared, [32768, 32768, 32768, 1696])
  assert.deepEqual(compressSnappy(Buffer.alloc(0)), XERIAL_HEADER)
})

test('declared sizes are checked before anything is decoded', async () => {
  // A 7-byte raw block claiming 4 GiB - 1: refused on the header alone.
  const claim = Buffer.from('ffffffff0f0000', 'hex')
  assert.throws(() => decompressSnappy(claim, LIMIT), reason('too-large'))
  assert.throws(() => decompressSnappy(xerial(claim), LIMIT), reason('too-large'))
  await assert.rejects(decompressSnappyAsync(claim, LIMIT), reason('too-large'))
  // Many honest blocks whose sum passes the limit.
  assert.throws(() => decompressSnappy(xerial(RAW_HELLO, RAW_HELLO, RAW_ABC), 18), reason('too-large'))
  assert.equal(decompressSnappy(xerial(RAW_HELLO, RAW_HELLO, RAW_ABC), 19).toString(), 'hellohelloabcabcabc')
})

test('corrupt framing and blocks throw', async () => {
  const cases: [string, Buffer][] = [
    ['truncated header', XERIAL_HEADER.subarray(0, 12)],
    ['truncated block length', Buffer.concat([XERIAL_HEADER, Buffer.from([0, 0])])],
    ['block past the end', Buffer.concat([XERIAL_HEADER, int32(100), RAW_HELLO])],
    ['negative block length', Buffer.concat([XERIAL_HEADER, int32(-5), RAW_HELLO])],
    ['zero-length block', Buffer.concat([XERIAL_HEADER, int32(0)])],
    ['unterminated varint', Buffer.from('ffffffffffff', 'hex')],
    ['bad copy offset', Buffer.from('0509ff', 'hex')],
    ['block shorter than declared', xerial(Buffer.concat([Buffer.from([0x0a, 0x10]), Buffer.from('hello')]))],
    ['trailing junk after blocks', Buffer.concat([xerial(RAW_HELLO), Buffer.from([1])])],
  ]
  for (const [label, data] of cases) {
    assert.throws(() => decompressSnappy(data, LIMIT), reason('corrupt'), label)
    await assert.rejects(decompressSnappyAsync(data, LIMIT), reason('corrupt'), label)
  }
})
