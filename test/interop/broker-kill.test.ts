// A librdkafka producer with acks=all records every acknowledged message while the broker is killed
// with SIGKILL at random moments and restarted on the same data and port: afterwards every
// acknowledged message is in the log at the offset it was acknowledged with.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { LogStore } from '../../src/log/store.ts'
import { decodeAll, text } from '../helpers/batches.ts'
import { startBroker } from '../helpers/broker.ts'
import { tempDir } from '../helpers/tmp.ts'

const producerScript = path.resolve(import.meta.dirname, 'clients/rdkafka_producer.py')
const KILLS = 10

test(`every message acknowledged to librdkafka survives ${KILLS} broker SIGKILLs`, async (t) => {
  const dataDir = tempDir(t)
  let broker = await startBroker(t, dataDir)
  const acked = new Map<number, string>() // offset → value (partition 0)
  const producer = spawn(
    '/usr/bin/python3',
    [producerScript, '--bootstrap', broker.bootstrap, '--topic', 'kill-test'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  t.after(() => producer.kill('SIGKILL'))
  let pending = ''
  producer.stdout.on('data', (d: Buffer) => {
    pending += d.toString()
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      const [kind, partition, offset, value] = line.split(' ')
      if (kind !== 'ack') continue
      assert.equal(partition, '0')
      const previous = acked.get(Number(offset))
      assert.ok(
        previous === undefined || previous === value,
        `offset ${offset} acknowledged twice: ${previous}, ${value}`,
      )
      acked.set(Number(offset), value!)
    }
  })
  const waitForAcks = async (atLeast: number) => {
    const deadline = Date.now() + 30_000
    while (acked.size < atLeast) {
      if (Date.now() > deadline) throw new Error(`only ${acked.size} acks, wanted ${atLeast}`)
      await new Promise((r) => setTimeout(r, 20))
    }
  }
  for (let i = 0; i < KILLS; i++) {
    await waitForAcks(acked.size + 50 + Math.floor(Math.random() * 500))
    await new Promise((r) => setTimeout(r, Math.random() * 200))
    await broker.kill()
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 300))
    broker = await broker.restart()
  }
  await waitForAcks(acked.size + 100)
  producer.kill('SIGKILL')
  await broker.stop()

  // Closed here rather than in t.after: after-hooks run in registration order, so the temporary
  // directory would be removed before the store could write its clean-shutdown marker.
  const store = LogStore.open(dataDir, { maintenanceIntervalMs: 0 })
  const stored = new Map<number, string>()
  try {
    const log = store.partition('kill-test', 0)!
    for (let offset = 0; offset < log.highWatermark; ) {
      const { bytes } = await log.read(offset, 1 << 20)
      for (const r of decodeAll(bytes)) {
        stored.set(Number(r.offset), text(r.value)!)
        offset = Number(r.offset) + 1
      }
    }
  } finally {
    await store.close()
  }
  t.diagnostic(`${acked.size} acknowledged, ${stored.size} stored`)
  for (const [offset, value] of acked)
    assert.equal(stored.get(offset), value, `acknowledged offset ${offset}`)
})
