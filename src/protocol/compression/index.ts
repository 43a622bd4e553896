// Record-batch compression codecs, keyed by the id Kafka stores in bits 0-2 of a v2 batch's attributes.
// One synchronous entry point per direction for the common case (batches are small and the native codecs
// are fast), plus async twins that run the codec on libuv's threadpool for large batches so the event
// loop stays free. Each codec lives in its own file with the reasoning behind its format handling:
// snappy.ts (xerial framing), lz4.ts (LZ4 frames, bomb-safe), zlib.ts (gzip, zstd).
//
// Decompression is always bounded by maxOutputBytes because batch payloads come from the network. The
// default, 64 MiB, is far above any legitimate batch (Kafka's default message.max.bytes is 1 MiB of
// *compressed* data, and even at a generous 64x ratio that decompresses to 64 MiB) yet small enough that
// a handful of concurrent compression bombs cannot exhaust the process's memory. Raise it per call if
// the broker is configured for larger batches.
import { RiffleError } from '../../core/errors.ts'
import { CompressionError, tooLarge } from './errors.ts'
import { compressLz4, compressLz4Async, decompressLz4, decompressLz4Async } from './lz4.ts'
import { compressSnappy, compressSnappyAsync, decompressSnappy, decompressSnappyAsync } from './snappy.ts'
import {
  compressGzip,
  compressGzipAsync,
  compressZstd,
  compressZstdAsync,
  decompressGzip,
  decompressGzipAsync,
  decompressZstd,
  decompressZstdAsync,
} from './zlib.ts'

export { CompressionError, type CompressionFailure, codecName } from './errors.ts'

export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const

export type CompressionCodec = (typeof Compression)[keyof typeof Compression]

/** Mask of the codec bits in a v2 batch's attributes. */
export const COMPRESSION_CODEC_MASK = 0x07

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024 * 1024

export interface DecompressOptions {
  /** Largest decompressed size accepted; more throws CompressionError 'too-large'. Default 64 MiB. */
  maxOutputBytes?: number
}

export function isCompressionCodec(id: number): id is CompressionCodec {
  return Number.isInteger(id) && id >= 0 && id <= 4
}

function checkCodec(codec: number): asserts codec is CompressionCodec {
  if (!isCompressionCodec(codec)) {
    throw new CompressionError('unsupported', codec, `unknown compression codec id ${codec}`)
  }
}

function limitOf(options: DecompressOptions | undefined): number {
  const limit = options?.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RiffleError('INVALID_ARGUMENT', `maxOutputBytes must be a non-negative integer, got ${limit}`)
  }
  return limit
}

/** One codec's four operations; `limit` bounds decompressed output. */
interface CodecImpl {
  compress(data: Buffer): Buffer
  decompress(data: Buffer, limit: number): Buffer
  compressAsync(data: Buffer): Promise<Buffer>
  decompressAsync(data: Buffer, limit: number): Promise<Buffer>
}

/** Codec 0 passes data through unchanged, with the output limit applied for symmetry. */
function uncompressed(data: Buffer, limit: number): Buffer {
  if (data.length > limit) throw tooLarge(0, limit, 'size')
  return data
}

const CODECS: Readonly<Record<CompressionCodec, CodecImpl>> = {
  0: {
    compress: (d) => d,
    decompress: uncompressed,
    compressAsync: async (d) => d,
    decompressAsync: async (d, limit) => uncompressed(d, limit),
  },
  1: {
    compress: compressGzip,
    decompress: decompressGzip,
    compressAsync: compressGzipAsync,
    decompressAsync: decompressGzipAsync,
  },
  2: {
    compress: compressSnappy,
    decompress: decompressSnappy,
    compressAsync: compressSnappyAsync,
    decompressAsync: decompressSnappyAsync,
  },
  3: {
    compress: compressLz4,
    decompress: decompressLz4,
    compressAsync: compressLz4Async,
    decompressAsync: decompressLz4Async,
  },
  4: {
    compress: compressZstd,
    decompress: decompressZstd,
    compressAsync: compressZstdAsync,
    decompressAsync: decompressZstdAsync,
  },
}

/** Compresses `data` as Kafka producers do. Codec 0 (none) returns `data` itself, not a copy. */
export function compress(codec: CompressionCodec, data: Buffer): Buffer {
  checkCodec(codec)
  return CODECS[codec].compress(data)
}

/**
 * Decompresses a batch's records section. Throws CompressionError: 'unsupported' for an unknown codec
 * id, 'corrupt' for bad input, 'too-large' past maxOutputBytes (applied to codec 0 too, for symmetry).
 */
export function decompress(codec: CompressionCodec, data: Buffer, options?: DecompressOptions): Buffer {
  checkCodec(codec)
  return CODECS[codec].decompress(data, limitOf(options))
}

/** compress() on the threadpool. Argument errors still reject rather than throw. */
export async function compressAsync(codec: CompressionCodec, data: Buffer): Promise<Buffer> {
  checkCodec(codec)
  return CODECS[codec].compressAsync(data)
}

/** decompress() on the threadpool, with the same errors (as rejections). */
export async function decompressAsync(
  codec: CompressionCodec,
  data: Buffer,
  options?: DecompressOptions,
): Promise<Buffer> {
  checkCodec(codec)
  return CODECS[codec].decompressAsync(data, limitOf(options))
}
