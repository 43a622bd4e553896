// gzip and zstd through Node's built-in zlib (Node 24 ships zstd), so no native dependency is needed.
// The output limit uses zlib's own maxOutputLength, which stops inflating as soon as the output passes
// it, so a bomb never gets allocated in full.
//
// gzip: Node's gunzip already continues across concatenated members (allowed by RFC 1952 and written by
// some tools), so nothing extra is needed there.
//
// zstd: Node's decoder stops after the first frame and silently ignores whatever follows, but the zstd
// format allows concatenated frames (and skippable frames), and dropping data silently would be worse
// than failing. So we decode frame by frame, using the engine's bytesWritten (input consumed) to find
// the next frame; trailing bytes that are not a frame fail. Frames without a content size (written by
// streaming encoders such as zstd-jni's ZstdOutputStream) are fine since Node decodes in streaming
// mode. Window memory is bounded by zstd's default windowLogMax (2^27 = 128 MiB); we keep that default
// because producers at high levels (Kafka allows up to 22) legitimately use windows that large.
import zlib from 'node:zlib'
import { corrupt, tooLarge } from './errors.ts'

const GZIP = 1
const ZSTD = 4
const SKIPPABLE_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50

interface WithInfo {
  buffer: Buffer
  engine: { bytesWritten: number }
}

function fail(codec: number, e: unknown, limit: number): Error {
  if ((e as { code?: unknown } | null)?.code === 'ERR_BUFFER_TOO_LARGE') return tooLarge(codec, limit)
  return corrupt(codec, e instanceof Error ? e.message : String(e), e)
}

/** zlib rejects maxOutputLength 0; ask for 1 and let the caller's own length check refuse it. */
function zlibLimit(limit: number): number {
  return Math.max(1, limit)
}

export function compressGzip(data: Buffer): Buffer {
  return zlib.gzipSync(data)
}

export function compressGzipAsync(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => zlib.gzip(data, (e, out) => (e ? reject(e) : resolve(out))))
}

function checkedLength(codec: number, out: Buffer, limit: number): Buffer {
  if (out.length > limit) throw tooLarge(codec, limit)
  return out
}

export function decompressGzip(data: Buffer, maxOutputBytes: number): Buffer {
  let out: Buffer
  try {
    out = zlib.gunzipSync(data, { maxOutputLength: zlibLimit(maxOutputBytes) })
  } catch (e) {
    throw fail(GZIP, e, maxOutputBytes)
  }
  return checkedLength(GZIP, out, maxOutputBytes)
}

export async function decompressGzipAsync(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  let out: Buffer
  try {
    out = await new Promise<Buffer>((resolve, reject) =>
      zlib.gunzip(data, { maxOutputLength: zlibLimit(maxOutputBytes) }, (e, res) =>
        e ? reject(e) : resolve(res),
      ),
    )
  } catch (e) {
    throw fail(GZIP, e, maxOutputBytes)
  }
  return checkedLength(GZIP, out, maxOutputBytes)
}

export function compressZstd(data: Buffer): Buffer {
  return zlib.zstdCompressSync(data)
}

export function compressZstdAsync(data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => zlib.zstdCompress(data, (e, out) => (e ? reject(e) : resolve(out))))
}

/** Frame-by-frame zstd decoding shared by both drivers: yields (input, limit), receives the result. */
function* zstdFrames(
  data: Buffer,
  maxOutputBytes: number,
): Generator<{ input: Buffer; limit: number }, Buffer, WithInfo> {
  if (data.length === 0) throw corrupt(ZSTD, 'empty input')
  const parts: Buffer[] = []
  let produced = 0
  let pos = 0
  while (pos < data.length) {
    if (data.length - pos >= 4 && (data.readUInt32LE(pos) & SKIPPABLE_MASK) === SKIPPABLE_MAGIC) {
      if (data.length - pos < 8) throw corrupt(ZSTD, `truncated skippable frame at byte ${pos}`)
      const size = data.readUInt32LE(pos + 4)
      if (data.length - pos - 8 < size) throw corrupt(ZSTD, `truncated skippable frame at byte ${pos}`)
      pos += 8 + size
      continue
    }
    const res = yield { input: data.subarray(pos), limit: zlibLimit(maxOutputBytes - produced) }
    const consumed = res.engine.bytesWritten
    if (!(consumed > 0 && consumed <= data.length - pos))
      throw corrupt(ZSTD, `undecodable data at byte ${pos}`)
    pos += consumed
    produced += res.buffer.length
    if (produced > maxOutputBytes) throw tooLarge(ZSTD, maxOutputBytes)
    parts.push(res.buffer)
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, produced)
}

export function decompressZstd(data: Buffer, maxOutputBytes: number): Buffer {
  const frames = zstdFrames(data, maxOutputBytes)
  let step = frames.next()
  while (!step.done) {
    const { input, limit } = step.value
    let res: WithInfo
    try {
      res = zlib.zstdDecompressSync(input, { info: true, maxOutputLength: limit }) as unknown as WithInfo
    } catch (e) {
      throw fail(ZSTD, e, maxOutputBytes)
    }
    step = frames.next(res)
  }
  return step.value
}

export async function decompressZstdAsync(data: Buffer, maxOutputBytes: number): Promise<Buffer> {
  const frames = zstdFrames(data, maxOutputBytes)
  let step = frames.next()
  while (!step.done) {
    const { input, limit } = step.value
    let res: WithInfo
    try {
      res = await new Promise<WithInfo>((resolve, reject) =>
        zlib.zstdDecompress(input, { info: true, maxOutputLength: limit }, (e, out) =>
          e ? reject(e) : resolve(out as unknown as WithInfo),
        ),
      )
    } catch (e) {
      throw fail(ZSTD, e, maxOutputBytes)
    }
    step = frames.next(res)
  }
  return step.value
}
