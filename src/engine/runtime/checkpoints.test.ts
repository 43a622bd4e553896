// The checkpoint files: atomic writes, only the newest few kept, and a torn or foreign file never
// chosen for a restore.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { tempDir } from '../../../test/helpers/tmp.ts'
import type { Plain } from '../serde/plain.ts'
import { type Checkpoint, CheckpointStore } from './checkpoints.ts'

const cp = (id: number): Checkpoint => ({
  version: 1,
  id,
  pipeline: 'p',
  time: 1000 + id,
  finished: false,
  sources: { s: { offsets: [id] } },
  sinks: {},
  graph: {},
  stats: { recordsIn: id, recordsOut: 0, skipped: 0, deadLettered: 0 },
})

test('checkpoints are written whole, the newest three kept, the newest readable one restored', async (t) => {
  const dir = path.join(tempDir(t), 'checkpoints')
  const store = new CheckpointStore(dir, 3)
  assert.equal(store.latest(), null)
  for (let id = 1; id <= 5; id++) await store.write(cp(id))
  assert.deepEqual(fs.readdirSync(dir).sort(), ['0000000003.json', '0000000004.json', '0000000005.json'])
  assert.deepEqual(store.latest(), cp(5))
  // A crash while writing leaves a temporary file: ignored, and removed on the next open.
  fs.writeFileSync(path.join(dir, '0000000006.json.tmp'), '{"version":1,')
  // A damaged newest file (it cannot happen through write(), but disks fail): the one before it.
  fs.writeFileSync(path.join(dir, '0000000007.json'), '{"version":1,"id":7')
  fs.writeFileSync(path.join(dir, '0000000008.json'), JSON.stringify(cp(3)))
  const reopened = new CheckpointStore(dir, 3)
  assert.equal(fs.existsSync(path.join(dir, '0000000006.json.tmp')), false)
  assert.deepEqual(reopened.latest(), cp(5))
  assert.deepEqual(reopened.ids(), [3, 4, 5, 7, 8])
})

/** A graph snapshot shaped like a window operator's: state rows and a timer per row, tagged values. */
function graphOf(rows: Map<string, number>, extra: Plain = null): Plain {
  const keyed = [...rows].map(([k, v]) => [k, [v, 0]])
  const timers = [...rows].map(([k, v]) => [0, k, `w${v % 7}`, { $t: 'bigint', v: String(1000 + v) }])
  return {
    'window-4': {
      inputs: { watermark: 5 },
      state: [{ name: 'windows', kind: 'map', ttl: null, rows: keyed }],
      timers,
      operator: extra,
    },
  }
}

function withGraph(id: number, graph: Plain): Checkpoint {
  return { ...cp(id), graph }
}

/** Deterministic pseudo-random numbers (a test must not depend on luck). */
function lcg(seed: number): () => number {
  let s = seed
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s / 2 ** 32
  }
}

test('large state (chunked from 0 bytes here): a checkpoint writes the chunks that changed, and every kept one reads back whole', async (t) => {
  const dir = path.join(tempDir(t), 'checkpoints')
  const store = new CheckpointStore(dir, 3, 0)
  const rows = new Map(Array.from({ length: 10_000 }, (_, i) => [`key-${i}`, i]))
  const first = withGraph(
    1,
    graphOf(rows, { nested: [Array.from({ length: 100 }, (_, i) => ({ $t: 'obj', v: { $t: i } }))] }),
  )
  await store.write(first)
  const full = store.lastWrite!
  assert.equal(full.reused, 0)
  assert.ok(full.chunks > 10_000 / 256, `${full.chunks} chunks`)
  // 1% of the rows change, 10 go, 10 come.
  const random = lcg(7)
  for (let n = 0; n < 100; n++) rows.set(`key-${Math.floor(random() * 10_000)}`, -1)
  for (let n = 0; n < 10; n++) rows.delete(`key-${Math.floor(random() * 10_000)}`)
  for (let n = 0; n < 10; n++) rows.set(`new-${n}`, n)
  const second = withGraph(2, graphOf(rows))
  await store.write(second)
  const delta = store.lastWrite!
  assert.ok(delta.bytes < full.bytes * 0.4, `wrote ${delta.bytes} bytes of ${full.bytes}`)
  assert.ok(delta.reused > delta.chunks / 2, `${delta.reused} of ${delta.chunks} chunks reused`)
  assert.deepEqual(store.latest(), second)
  assert.deepEqual(store.read(1), first)
  // The same state again: nothing but the manifest.
  await store.write(withGraph(3, graphOf(rows)))
  assert.equal(store.lastWrite!.reused, store.lastWrite!.chunks)
  assert.equal(fs.existsSync(store.packFile(3)), false)
  assert.deepEqual(new CheckpointStore(dir, 3, 0).latest(), withGraph(3, graphOf(rows)))
  // The outline is the manifest alone: the same checkpoint, its chunked arrays left empty.
  const outline = store.outline()!
  assert.equal(outline.id, 3)
  assert.deepEqual(outline.sources, cp(3).sources)
  const node = (outline.graph as { 'window-4': { state: { rows: unknown[] }[]; timers: unknown[] } })[
    'window-4'
  ]
  assert.deepEqual([node.state[0]!.rows, node.timers], [[], []])
})

test('packs: only those kept checkpoints refer to stay, and sparse ones are rewritten', async (t) => {
  const dir = path.join(tempDir(t), 'checkpoints')
  const store = new CheckpointStore(dir, 2, 0)
  const rows = new Map(Array.from({ length: 5000 }, (_, i) => [`key-${i}`, i]))
  const random = lcg(11)
  const written = new Map<number, Checkpoint>()
  let fullBytes = 0
  for (let id = 1; id <= 30; id++) {
    for (let n = 0; n < 100; n++) rows.set(`key-${Math.floor(random() * 5000)}`, id)
    const c = withGraph(id, graphOf(rows))
    written.set(id, c)
    await store.write(c)
    if (id === 1) fullBytes = store.lastWrite!.bytes
    assert.deepEqual(store.ids(), id === 1 ? [1] : [id - 1, id])
    for (const kept of store.ids()) assert.deepEqual(store.read(kept), written.get(kept))
    // The pack files are exactly those the kept manifests name.
    const named = new Set<number>()
    for (const kept of store.ids()) {
      const manifest = JSON.parse(fs.readFileSync(store.file(kept), 'utf8')) as {
        chunked: { chunks: [string, number, number, number][] }[]
      }
      for (const a of manifest.chunked) for (const ref of a.chunks) named.add(ref[1])
    }
    const packs = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.pack'))
      .map((f) => Number(f.slice(0, -5)))
    assert.deepEqual(
      packs.sort((a, b) => a - b),
      [...named].sort((a, b) => a - b),
    )
  }
  // The first full pack was rewritten piecemeal once mostly stale; the disk holds at most twice
  // what each kept checkpoint refers to.
  assert.equal(fs.existsSync(store.packFile(1)), false)
  const onDisk = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0)
  assert.ok(onDisk <= 4 * fullBytes, `${onDisk} bytes on disk, a full checkpoint is ${fullBytes}`)
})

test('a damaged or missing pack: the checkpoint before it is restored, and later ones are replaced', async (t) => {
  const dir = path.join(tempDir(t), 'checkpoints')
  const rows = new Map(Array.from({ length: 2000 }, (_, i) => [`key-${i}`, i]))
  const store = new CheckpointStore(dir, 3, 0)
  const first = withGraph(1, graphOf(rows))
  await store.write(first)
  rows.set('key-5', 5555)
  await store.write(withGraph(2, graphOf(rows)))
  // Flip a byte inside pack 2 (it holds only what changed): checkpoint 2 no longer reads back.
  const pack = fs.readFileSync(store.packFile(2))
  pack[Math.floor(pack.length / 2)] ^= 0x01
  fs.writeFileSync(store.packFile(2), pack)
  const reopened = new CheckpointStore(dir, 3, 0)
  assert.deepEqual(reopened.latest(), first)
  assert.throws(() => reopened.read(2), /damaged|JSON/)
  // The run continues from checkpoint 1: its next checkpoint is 2 again, and replaces the damaged one.
  rows.set('key-6', 6666)
  const again = withGraph(2, graphOf(rows))
  await reopened.write(again)
  assert.deepEqual(new CheckpointStore(dir, 3, 0).latest(), again)
  // A pack whose manifest was never written (a crash between the two) is removed on open.
  fs.writeFileSync(path.join(dir, '0000000009.pack'), 'partial')
  fs.rmSync(store.packFile(1))
  const third = new CheckpointStore(dir, 3, 0)
  assert.equal(fs.existsSync(path.join(dir, '0000000009.pack')), false)
  assert.throws(() => third.read(1), /ENOENT/)
})
