// Content-defined chunks of snapshot arrays: exact round trips through JSON text that is hostile to
// a byte scanner, and a change to one element changes only the chunk around it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Plain } from '../serde/plain.ts'
import { type ChunkRef, type ChunkedArray, MIN_CHUNKED, cutTree, joinTree } from './chunks.ts'

/** Cuts `tree`, gives every piece a place in one in-memory pack, and joins it back. */
function roundTrip(tree: Plain): { back: Plain; pieces: number; hashes: string[] } {
  const cut = cutTree(tree, 0)
  const pack: Buffer[] = []
  const arrays: ChunkedArray<ChunkRef>[] = cut.arrays.map(({ path, chunks }) => ({
    path,
    chunks: chunks.map((p): ChunkRef => {
      pack.push(p.bytes)
      return [p.hash, 0, pack.length - 1, p.bytes.length]
    }),
  }))
  // The tree handed back is a copy: the chunked arrays are gone from it until joined.
  const copy = JSON.parse(JSON.stringify(cut.tree)) as Plain
  const back = joinTree(copy, arrays, ([, , index]) => pack[index]!)
  const hashes = cut.arrays.flatMap((a) => a.chunks.map((c) => c.hash))
  return { back, pieces: hashes.length, hashes }
}

const awkward = (i: number): Plain => [
  `k,${i}],[{"x":"\\"}`,
  { $t: 'obj', v: { $t: i, ',': '[' } },
  [i, -0.5, 1e21, null, true, '\u00e9\u4e2d\ud83d\ude00', 'a\\', '\n\t"'],
]

test('arrays of hostile JSON come back exactly, wherever they are in the snapshot', () => {
  const n = MIN_CHUNKED + 300
  const tree: Plain = {
    '0': Array.from({ length: n }, (_, i) => awkward(i)),
    small: [1, 2, 3],
    nested: [
      { deeper: Array.from({ length: n }, (_, i) => `s${i}`) },
      Array.from({ length: n }, (_, i) => i),
    ],
    $t: 'not a tag',
  }
  const original = JSON.parse(JSON.stringify(tree)) as Plain
  const { back, pieces } = roundTrip(tree)
  assert.deepEqual(back, original)
  assert.ok(pieces > (3 * n) / 256, `${pieces} chunks`)
  // A top-level array, and one just too short to be chunked.
  const root = Array.from({ length: n }, (_, i) => awkward(i))
  assert.deepEqual(roundTrip(root).back, JSON.parse(JSON.stringify(root)))
  const short = Array.from({ length: MIN_CHUNKED - 1 }, (_, i) => i)
  assert.equal(cutTree(short, 0).arrays.length, 0)
  // Nor is one of less JSON than the store's threshold: it stays in the manifest as it is.
  const small = cutTree({ rows: root }, 10 * JSON.stringify(root).length)
  assert.equal(small.arrays.length, 0)
  assert.deepEqual(small.tree, { rows: root })
})

test('a changed, inserted or deleted element changes only the chunks around it', () => {
  const rows = Array.from({ length: 20_000 }, (_, i): Plain => [`key-${i}`, [i, i * 2]])
  const before = new Set(roundTrip(rows).hashes)
  const changed = rows.slice()
  changed[7000] = ['key-7000', [-1, 0]]
  changed.splice(12_000, 1)
  changed.splice(15_000, 0, ['inserted', [0, 0]])
  const after = roundTrip(changed)
  const fresh = after.hashes.filter((h) => !before.has(h))
  assert.ok(fresh.length >= 3 && fresh.length <= 6, `${fresh.length} new chunks of ${after.pieces}`)
  assert.deepEqual(after.back, changed)
})

test('a damaged chunk is refused, not restored', () => {
  const tree: Plain = { rows: Array.from({ length: MIN_CHUNKED }, (_, i) => i) }
  const cut = cutTree(tree, 0)
  const piece = cut.arrays[0]!.chunks[0]!
  const bytes = Buffer.from(piece.bytes)
  bytes[0] = bytes[0] === 0x31 ? 0x32 : 0x31
  assert.throws(
    () => joinTree(cut.tree, [{ path: ['rows'], chunks: [[piece.hash, 4, 0, bytes.length]] }], () => bytes),
    /chunk .* of pack 4 is damaged/,
  )
})
