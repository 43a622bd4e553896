// The checkpoint files: atomic writes, only the newest few kept, and a torn or foreign file never
// chosen for a restore.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { tempDir } from '../../../test/helpers/tmp.ts'
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
