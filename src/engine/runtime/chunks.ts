// Incremental checkpoints: cutting a snapshot's large arrays into chunks that stay the same while
// their elements do. A graph snapshot is mostly a few large arrays (the rows of keyed state tables,
// timers, join buffers), and between two checkpoints most of their elements are unchanged. Chunk
// boundaries depend on the content (a chunk ends after an element whose hash has its low bits zero,
// as in rsync and restic), not on positions: an inserted, changed or deleted element changes the
// chunk around it, and every other chunk comes out byte for byte as before. A chunk is named by the
// SHA-256 of its JSON, so the store (checkpoints.ts) writes only chunks it has not stored yet.
//
// The arrays are found by walking the snapshot, and each is replaced by an empty array and listed
// with its path, so nothing inside the snapshot is ever mistaken for a chunk reference.
import { createHash } from 'node:crypto'
import type { Plain } from '../serde/plain.ts'

/** Arrays shorter than this stay inline in the manifest: chunking them saves little and costs CPU. */
export const MIN_CHUNKED = 1024
/**
 * Nor are arrays chunked whose JSON is smaller than this, by default: writing them whole costs less
 * than cutting and hashing them (bench/checkpoints), and a checkpoint of state this small is quick.
 */
export const MIN_CHUNKED_BYTES = 1 << 20
/** A chunk ends after an element whose hash has these bits zero (about 9 elements on average)... */
const BOUNDARY_MASK = 7
/** ...once it has at least this many elements... */
const MIN_ELEMENTS = 2
/** ...and always at these sizes. */
const MAX_ELEMENTS = 256
const MAX_CHUNK_BYTES = 64 * 1024

/** A chunk's place: its hash, the pack file (a checkpoint id) and its byte range there. */
export type ChunkRef = [hash: string, pack: number, offset: number, length: number]

/** A chunked array: where it was in the snapshot (keys and indexes), and its chunks in order. */
export interface ChunkedArray<R> {
  path: (string | number)[]
  chunks: R[]
}

/**
 * A chunk before it has a place: its bytes (elements in JSON, separated by commas, without the
 * array's brackets: a view into the serialised array) and their hash.
 */
export interface Piece {
  hash: string
  bytes: Buffer
}

export function chunkHash(bytes: Uint8Array): string {
  // 96 bits of SHA-256 in base64url: collisions are out of reach, and the manifest stays short.
  return createHash('sha256').update(bytes).digest('base64url').slice(0, 16)
}

/**
 * FNV-1a over up to 64 bytes of an element, then murmur3's finaliser (FNV's low bits alone are
 * skewed on text this regular). Cheap, and it only decides boundaries, not identity.
 */
function boundaryHash(bytes: Uint8Array, from: number, to: number): number {
  let h = 0x811c9dc5
  const end = Math.min(to, from + 64)
  for (let i = from; i < end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * Cuts one array into pieces. The array is serialised once, and its elements are found by scanning
 * those bytes for the commas between them (outside strings, at depth 0; in UTF-8 no byte of a
 * multi-byte character is ASCII): one JSON.stringify call per element would cost twice as much.
 */
function piecesOf(json: string): Piece[] {
  const bytes = Buffer.from(json, 'utf8')
  const last = bytes.length - 1 // the closing ']'
  const pieces: Piece[] = []
  let chunkStart = 1
  let elementStart = 1
  let elements = 0
  const endElement = (end: number): void => {
    elements++
    if (
      end === last ||
      (elements >= MIN_ELEMENTS && (boundaryHash(bytes, elementStart, end) & BOUNDARY_MASK) === 0) ||
      elements >= MAX_ELEMENTS ||
      end - chunkStart >= MAX_CHUNK_BYTES
    ) {
      const chunk = bytes.subarray(chunkStart, end)
      pieces.push({ hash: chunkHash(chunk), bytes: chunk })
      chunkStart = end + 1
      elements = 0
    }
    elementStart = end + 1
  }
  let depth = 0
  let inString = false
  for (let i = 1; i < last; i++) {
    const c = bytes[i]!
    if (inString) {
      if (c === 0x5c)
        i++ // a backslash escapes the next byte
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) depth++
    else if (c === 0x5d || c === 0x7d) depth--
    else if (c === 0x2c && depth === 0) endElement(i)
  }
  if (last > 1) endElement(last)
  return pieces
}

/**
 * A copy of `tree` with every array of at least MIN_CHUNKED elements and `minBytes` of JSON
 * (UTF-16 code units, near enough) replaced by [] and listed, cut into pieces. Elements of a chunked array are not searched further.
 */
export function cutTree(
  tree: Plain,
  minBytes = MIN_CHUNKED_BYTES,
): { tree: Plain; arrays: ChunkedArray<Piece>[] } {
  const arrays: ChunkedArray<Piece>[] = []
  const path: (string | number)[] = []
  const walk = (node: Plain): Plain => {
    if (Array.isArray(node)) {
      if (node.length >= MIN_CHUNKED) {
        const json = JSON.stringify(node)
        if (json.length < minBytes) return node
        arrays.push({ path: path.slice(), chunks: piecesOf(json) })
        return []
      }
      return node.map((element, i) => {
        path.push(i)
        const out = walk(element)
        path.pop()
        return out
      })
    }
    if (node !== null && typeof node === 'object') {
      const out: { [key: string]: Plain } = {}
      for (const [key, value] of Object.entries(node)) {
        path.push(key)
        out[key] = walk(value)
        path.pop()
      }
      return out
    }
    return node
  }
  return { tree: walk(tree), arrays }
}

/** Puts chunked arrays back into `tree` (in place), reading each chunk's bytes with `read`. */
export function joinTree(
  tree: Plain,
  arrays: ChunkedArray<ChunkRef>[],
  read: (ref: ChunkRef) => Buffer,
): Plain {
  let root = tree
  for (const { path, chunks } of arrays) {
    const elements: Plain[] = []
    for (const ref of chunks) {
      const bytes = read(ref)
      if (chunkHash(bytes) !== ref[0]) throw new Error(`chunk ${ref[0]} of pack ${ref[1]} is damaged`)
      for (const e of JSON.parse(`[${bytes.toString('utf8')}]`) as Plain[]) elements.push(e)
    }
    if (path.length === 0) {
      root = elements
      continue
    }
    let parent = root as { [key: string]: Plain } | Plain[]
    for (const step of path.slice(0, -1))
      parent = (parent as Record<string | number, Plain>)[step] as typeof parent
    const last = path[path.length - 1]!
    if (parent === null || typeof parent !== 'object' || !(last in parent))
      throw new Error(`chunked array at ${JSON.stringify(path)} has no place in the snapshot`)
    ;(parent as Record<string | number, Plain>)[last] = elements
  }
  return root
}
