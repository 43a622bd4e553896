import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { decodeAll, numberedBatch, text } from '../../test/helpers/batches.ts'
import { tempDir } from '../../test/helpers/tmp.ts'
import { isRiffleError } from '../core/errors.ts'
import { LogStore } from './store.ts'

const fixture = path.resolve(import.meta.dirname, '../../test/fixtures/open-store.ts')

test('topics, partitions and configs persist across reopen', async (t) => {
  const dir = tempDir(t)
  const store = LogStore.open(dir, { maintenanceIntervalMs: 0, defaults: { 'retention.ms': '-1' } })
  assert.equal(store.recoveredFromCrash, false)
  store.createTopic('orders', 3, { 'cleanup.policy': 'compact', 'segment.bytes': '1048576' })
  store.createTopic('events.v1_raw-2', 1)
  await store.partition('orders', 2)!.append(numberedBatch(0, 2))
  store.addPartitions('orders', 5)
  store.setTopicConfigs('orders', { 'retention.ms': '60000', 'segment.bytes': null })
  assert.throws(
    () => store.createTopic('orders', 1),
    (e) => isRiffleError(e, 'TOPIC_ALREADY_EXISTS'),
  )
  assert.throws(
    () => store.createTopic('bad/name', 1),
    (e) => isRiffleError(e, 'INVALID_TOPIC'),
  )
  assert.throws(
    () => store.createTopic('x', 1, { 'retention.ms': 'soon' }),
    (e) => isRiffleError(e, 'INVALID_CONFIG'),
  )
  assert.throws(
    () => store.createTopic('y', 1, { 'no.such': '1' }),
    (e) => isRiffleError(e, 'INVALID_CONFIG'),
  )
  assert.equal(store.topic('x'), undefined)
  await store.close()

  const again = LogStore.open(dir, { maintenanceIntervalMs: 0, defaults: { 'retention.ms': '-1' } })
  assert.equal(again.recoveredFromCrash, false)
  assert.deepEqual(
    again
      .listTopics()
      .map((m) => [m.name, m.partitions, m.configs])
      .sort(),
    [
      ['events.v1_raw-2', 1, {}],
      ['orders', 5, { 'cleanup.policy': 'compact', 'retention.ms': '60000' }],
    ],
  )
  const orders = again.topic('orders')!
  assert.equal(orders.config.cleanupPolicy.compact, true)
  assert.equal(orders.config.retentionMs, 60000)
  assert.equal(orders.config.segmentBytes, 1024 * 1024 * 1024)
  const { bytes } = await again.partition('orders', 2)!.read(0, 1000)
  assert.deepEqual(
    decodeAll(bytes).map((r) => text(r.value)),
    ['b0-r0', 'b0-r1'],
  )
  await again.deleteTopic('orders')
  assert.equal(again.topic('orders'), undefined)
  assert.ok(!fs.existsSync(path.join(dir, 'topics', 'orders')))
  again.createTopic('orders', 1)
  assert.equal(again.partition('orders', 0)!.logEndOffset, 0)
  await again.close()
})

test('a store not closed in order is reported as recovered from a crash', async (t) => {
  const dir = tempDir(t)
  const store = LogStore.open(dir, { maintenanceIntervalMs: 0 })
  store.createTopic('t', 1)
  await store.close()
  fs.rmSync(path.join(dir, '.clean-shutdown'))
  const again = LogStore.open(dir, { maintenanceIntervalMs: 0 })
  assert.equal(again.recoveredFromCrash, true)
  await again.close()
})

test('a second process opening the same data directory gets a clear error', async (t) => {
  const dir = tempDir(t)
  const holder = spawn(process.execPath, [fixture, dir, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] })
  t.after(() => holder.kill('SIGKILL'))
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (d: Buffer) =>
      d.toString().includes('opened') ? resolve() : reject(new Error(d.toString())),
    )
    holder.on('exit', () => reject(new Error('holder exited')))
  })
  const second = spawnSync(process.execPath, [fixture, dir], { encoding: 'utf8' })
  assert.equal(second.status, 3)
  assert.match(
    second.stdout,
    new RegExp(`^DATA_DIR_LOCKED: data directory ${dir} is in use: process ${holder.pid} holds`),
  )
  assert.match(second.stdout, /Stop that process or choose another data directory/)
  // Within one process, too.
  assert.throws(
    () => LogStore.open(dir),
    (e) => isRiffleError(e, 'DATA_DIR_LOCKED'),
  )
  // Once the holder dies (even by SIGKILL) its stale lock is taken over.
  holder.kill('SIGKILL')
  await new Promise((r) => holder.once('exit', r))
  const third = spawnSync(process.execPath, [fixture, dir], { encoding: 'utf8' })
  assert.equal(third.stdout, 'opened\n')
  assert.equal(third.status, 0)
})
