import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { FrameTooLargeError } from './errors.ts'
import { FrameSplitter } from './frame-splitter.ts'

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4)
  size.writeInt32BE(payload.length)
  return Buffer.concat([size, payload])
}

const payloads = [
  Buffer.from('0012000300000001', 'hex'),
  Buffer.alloc(0),
  Buffer.from('ab', 'hex'),
  Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff)),
]
const stream = Buffer.concat(payloads.map(frame))

function collect(splitter: FrameSplitter, chunks: Buffer[]): Buffer[] {
  const out: Buffer[] = []
  for (const c of chunks) splitter.push(c, (f) => out.push(f))
  return out
}

describe('FrameSplitter', () => {
  test('one chunk with several frames', () => {
    assert.deepEqual(collect(new FrameSplitter(), [stream]), payloads)
  })

  test('split into two chunks at every byte boundary', () => {
    for (let i = 0; i <= stream.length; i++) {
      const splitter = new FrameSplitter()
      const frames = collect(splitter, [stream.subarray(0, i), stream.subarray(i)])
      assert.deepEqual(frames, payloads, `split at ${i}`)
      assert.equal(splitter.pendingBytes, 0)
    }
  })

  test('split into three chunks at every pair of boundaries of the first frames', () => {
    const head = stream.length - 304
    for (let i = 0; i <= head; i++) {
      for (let j = i; j <= head; j++) {
        const chunks = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)]
        assert.deepEqual(collect(new FrameSplitter(), chunks), payloads, `split at ${i}, ${j}`)
      }
    }
  })

  test('one byte at a time', () => {
    const chunks = Array.from(stream, (b) => Buffer.from([b]))
    assert.deepEqual(collect(new FrameSplitter(), chunks), payloads)
  })

  test('holds partial data until the frame completes', () => {
    const splitter = new FrameSplitter()
    assert.deepEqual(collect(splitter, [stream.subarray(0, 10)]), [])
    assert.equal(splitter.pendingBytes, 10)
  })

  test('frames inside one chunk are views of it, not copies', () => {
    const frames = collect(new FrameSplitter(), [stream])
    for (const f of frames) assert.equal(f.buffer, stream.buffer)
  })

  test('an oversized frame is rejected as soon as its size is known', () => {
    const big = Buffer.from('00001001', 'hex')
    assert.throws(
      () => new FrameSplitter(4096).push(big, () => assert.fail('no frame expected')),
      (err: unknown) => err instanceof FrameTooLargeError && err.size === 4097 && err.maxFrameSize === 4096,
    )
    const splitter = new FrameSplitter(4096)
    splitter.push(big.subarray(0, 2), () => {})
    assert.throws(() => splitter.push(big.subarray(2), () => {}), FrameTooLargeError)
    assert.deepEqual(
      collect(new FrameSplitter(4096), [frame(Buffer.alloc(4096))]).map((f) => f.length),
      [4096],
    )
  })

  test('a negative size is rejected', () => {
    assert.throws(
      () => new FrameSplitter().push(Buffer.from('ffffffff', 'hex'), () => {}),
      /invalid frame size -1/,
    )
  })
})
