// XXH32, the checksum the LZ4 frame format uses for its header, block and content checksums.
// lz4-napi verifies checksums only when it decodes a whole frame itself; our own frame walker needs the
// header checksum and, on the block-by-block path (see lz4.ts), block and content checksums too. It is
// small enough that a dependency is not worth it; Math.imul keeps every step in uint32 arithmetic.

const P1 = 2654435761
const P2 = 2246822519
const P3 = 3266489917
const P4 = 668265263
const P5 = 374761393

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r))
}

function round(acc: number, lane: number): number {
  return Math.imul(rotl((acc + Math.imul(lane, P2)) | 0, 13), P1)
}

function read32(b: Uint8Array, i: number): number {
  return b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)
}

/** XXH32 of `data` (as an unsigned 32-bit integer). */
export function xxh32(data: Uint8Array, seed = 0): number {
  const len = data.length
  let i = 0
  let h: number
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0
    let v2 = (seed + P2) | 0
    let v3 = seed | 0
    let v4 = (seed - P1) | 0
    const limit = len - 16
    while (i <= limit) {
      v1 = round(v1, read32(data, i))
      v2 = round(v2, read32(data, i + 4))
      v3 = round(v3, read32(data, i + 8))
      v4 = round(v4, read32(data, i + 12))
      i += 16
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0
  } else {
    h = (seed + P5) | 0
  }
  h = (h + len) | 0
  while (i + 4 <= len) {
    h = Math.imul(rotl((h + Math.imul(read32(data, i), P3)) | 0, 17), P4)
    i += 4
  }
  while (i < len) {
    h = Math.imul(rotl((h + Math.imul(data[i]!, P5)) | 0, 11), P1)
    i++
  }
  h ^= h >>> 15
  h = Math.imul(h, P2)
  h ^= h >>> 13
  h = Math.imul(h, P3)
  h ^= h >>> 16
  return h >>> 0
}
