// Public API behaviour shared by every codec: round trips (sync and async, in every combination), the
// output limit, corrupt input and unknown codec ids. Format-specific fixtures live in the per-codec tests.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { isRiffleError } from '../../core/errors.ts'
import {
  COMPRESSION_CODEC_MASK,
  Compression,
  type CompressionCodec,
  CompressionError,
  DEFAULT_MAX_OUTPUT_BYTES,
  codecName,
  compress,
  compressAsync,
  decompress,
  decompressAsync,
  isCompressionCodec,
} from './index.ts'

const MiB = 1024 * 1024
const CODECS = [Compression.gzip, Compression.snappy, Compression.lz4, Compression.zstd] as const

/** Deterministic pseudo-random bytes (mulberry32), so failures reproduce exactly. */
function randomBytes(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n)
  let s = seed >>> 0
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    out[i] = (t ^ (t >>> 14)) & 0xff
  }
  return out
}

function compressible(n: number): Buffer {
  const line = Buffer.from('{"user":"alice","action":"click","page":"/home","ts":1700000000000}\n')
  const out = Buffer.allocUnsafe(n)
  for (let i = 0; i < n; i += line.length) line.copy(out, i, 0, Math.min(line.length, n - i))
  return out
}

const INPUTS: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['small', Buffer.from('hello, kafka')],
  ['1 MiB random', randomBytes(MiB, 42)],
  ['1 MiB compressible', compressible(MiB)],
  ['1 MiB zeros', Buffer.alloc(MiB)],
]

function isFailure(reason: CompressionError['reason'], name: string) {
  return (e: unknown) => {
    assert.ok(e instanceof CompressionError, `expected CompressionError, got ${String(e)}`)
    assert.equal(e.reason, reason, e.message)
    assert.match(e.message, new RegExp(`^${name}: `))
    assert.ok(isRiffleError(e))
    return true
  }
}

describe('codec ids', () => {
  test('constants match Kafka attribute bits', () => {
    assert.deepEqual(Compression, { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 })
    assert.equal(COMPRESSION_CODEC_MASK, 0x07)
  })

  test('codecName', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map(codecName), ['none', 'gzip', 'snappy', 'lz4', 'zstd'])
    assert.equal(codecName(5), 'unknown(5)')
  })

  test('isCompressionCodec', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 7, -1, 1.5].map(isCompressionCodec), [
      true,
      true,
      true,
      true,
      true,
      false,
      false,
      false,
      false,
    ])
  })

  test('unknown codec ids throw an unsupported CompressionError everywhere', async () => {
    for (const id of [5, 6, 7, -1]) {
      const codec = id as CompressionCodec
      const check = (e: unknown) => {
        assert.ok(e instanceof CompressionError)
        assert.equal(e.reason, 'unsupported')
        assert.equal(e.codec, id)
        assert.equal(e.message, `unknown compression codec id ${id}`)
        return true
      }
      assert.throws(() => compress(codec, Buffer.from('x')), check)
      assert.throws(() => decompress(codec, Buffer.from('x')), check)
      await assert.rejects(compressAsync(codec, Buffer.from('x')), check)
      await assert.rejects(decompressAsync(codec, Buffer.from('x')), check)
    }
  })
})

describe('none', () => {
  test('passes data through untouched', async () => {
    const data = Buffer.from('plain')
    assert.equal(compress(Compression.none, data), data)
    assert.equal(decompress(Compression.none, data), data)
    assert.equal(await compressAsync(Compression.none, data), data)
    assert.equal(await decompressAsync(Compression.none, data), data)
  })

  test('still honours maxOutputBytes', () => {
    assert.throws(
      () => decompress(Compression.none, Buffer.alloc(10), { maxOutputBytes: 9 }),
      isFailure('too-large', 'none'),
    )
  })
})

describe('round trips', () => {
  for (const codec of CODECS) {
    for (const [label, input] of INPUTS) {
      test(`${codecName(codec)}: ${label}`, async () => {
        const c = compress(codec, input)
        assert.ok(Buffer.isBuffer(c))
        if (label.startsWith('1 MiB') && !label.includes('random'))
          assert.ok(c.length < input.length / 5, `ratio ${c.length}`)
        assert.deepEqual(decompress(codec, c), input)
        const ca = await compressAsync(codec, input)
        assert.deepEqual(await decompressAsync(codec, ca), input)
        // Both directions are interchangeable between the sync and async entry points.
        assert.deepEqual(decompress(codec, ca), input)
        assert.deepEqual(await decompressAsync(codec, c), input)
      })
    }

    test(`${codecName(codec)}: decodes from a view into a larger buffer`, async () => {
      const input = compressible(100_000)
      const c = compress(codec, input)
      const host = Buffer.concat([Buffer.from('prefix'), c, Buffer.from('suffix')])
      assert.deepEqual(decompress(codec, host.subarray(6, 6 + c.length)), input)
      assert.deepEqual(await decompressAsync(codec, host.subarray(6, 6 + c.length)), input)
      const inputView = Buffer.concat([Buffer.from('xx'), input, Buffer.from('yy')]).subarray(
        2,
        2 + input.length,
      )
      assert.deepEqual(compress(codec, inputView), c)
    })
  }
})

describe('maxOutputBytes', () => {
  test('default is 64 MiB', () => {
    assert.equal(DEFAULT_MAX_OUTPUT_BYTES, 64 * MiB)
  })

  for (const codec of CODECS) {
    const name = codecName(codec)
    test(`${name}: output over the limit throws, at the limit succeeds`, async () => {
      const input = compressible(MiB)
      const c = compress(codec, input)
      assert.deepEqual(decompress(codec, c, { maxOutputBytes: MiB }), input)
      assert.deepEqual(await decompressAsync(codec, c, { maxOutputBytes: MiB }), input)
      for (const maxOutputBytes of [MiB - 1, 1000, 0]) {
        assert.throws(() => decompress(codec, c, { maxOutputBytes }), isFailure('too-large', name))
        await assert.rejects(decompressAsync(codec, c, { maxOutputBytes }), isFailure('too-large', name))
      }
    })

    test(`${name}: a 64 MiB bomb is refused by the default limit`, () => {
      const bomb = compress(codec, Buffer.alloc(DEFAULT_MAX_OUTPUT_BYTES + 1))
      assert.ok(bomb.length < 8 * MiB)
      assert.throws(() => decompress(codec, bomb), isFailure('too-large', name))
    })

    test(`${name}: empty output with a zero limit is fine`, () => {
      assert.deepEqual(
        decompress(codec, compress(codec, Buffer.alloc(0)), { maxOutputBytes: 0 }),
        Buffer.alloc(0),
      )
    })
  }

  test('rejects a nonsensical limit', () => {
    for (const maxOutputBytes of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => decompress(Compression.gzip, Buffer.alloc(1), { maxOutputBytes }),
        (e: unknown) => isRiffleError(e, 'INVALID_ARGUMENT'),
      )
    }
  })
})

describe('corrupt input', () => {
  for (const codec of CODECS) {
    const name = codecName(codec)
    const valid = compress(codec, compressible(200_000))
    const cases: [string, Buffer][] = [
      ['empty', Buffer.alloc(0)],
      ['garbage', randomBytes(1000, 7)],
      ['truncated to half', valid.subarray(0, valid.length >> 1)],
      ['missing the last byte', valid.subarray(0, valid.length - 1)],
      ['cut after 10 bytes', valid.subarray(0, 10)],
    ]
    for (const [label, data] of cases) {
      test(`${name}: ${label} throws a corrupt CompressionError`, async () => {
        assert.throws(() => decompress(codec, data), isFailure('corrupt', name))
        await assert.rejects(decompressAsync(codec, data), isFailure('corrupt', name))
      })
    }

    test(`${name}: flipped bytes in the middle never crash (throw or decode)`, () => {
      for (let i = 0; i < 50; i++) {
        const bad = Buffer.from(valid)
        const at = 20 + ((i * 7919) % (bad.length - 40))
        bad[at] = bad[at]! ^ (1 + (i % 255))
        try {
          decompress(codec, bad)
        } catch (e) {
          assert.ok(e instanceof CompressionError, String(e))
          assert.match(e.message, new RegExp(`^${name}: `))
        }
      }
    })
  }

  test('corrupt errors map to CORRUPT_MESSAGE, oversize to RECORD_TOO_LARGE', () => {
    assert.throws(
      () => decompress(Compression.zstd, Buffer.from('nope')),
      (e: unknown) => isRiffleError(e, 'CORRUPT_MESSAGE'),
    )
    assert.throws(
      () =>
        decompress(Compression.zstd, compress(Compression.zstd, Buffer.alloc(100)), { maxOutputBytes: 10 }),
      (e: unknown) => isRiffleError(e, 'RECORD_TOO_LARGE'),
    )
  })
})
