// An idempotent librdkafka producer sends 100,000 messages while the broker is killed with SIGKILL
// and restarted again and again: requests in flight at each kill are retried by the client with
// their original producer id and sequence numbers, and the restarted broker recognises the ones it
// had already written (the log recovers its producer state). Afterwards the partition holds every
// message exactly once and in order.
//
// The client reaches the broker through a proxy that holds each response back for a moment and
// drops what it holds when the broker dies, so every kill leaves requests that were written and
// made durable but never answered: the retries a non-idempotent producer would duplicate.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import net from 'node:net'
import { test } from 'node:test'
import { LogStore } from '../../src/log/store.ts'
import { decodeAll, text } from '../helpers/batches.ts'
import { startBroker } from '../helpers/broker.ts'
import { tempDir } from '../helpers/tmp.ts'
import { PYTHON, script, sleep, until } from './support.ts'

const COUNT = 100_000
const KILLS = 6
const RESPONSE_DELAY_MS = 150

/** A TCP proxy to `port` that delays every response chunk and forgets held ones on disconnect. */
async function laggyProxy(target: () => number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(target(), '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    const timers = new Set<NodeJS.Timeout>()
    const drop = (): void => {
      for (const t of timers) clearTimeout(t)
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('data', (d) => upstream.write(d))
    upstream.on('data', (d) => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        client.write(d)
      }, RESPONSE_DELAY_MS)
      timers.add(timer)
    })
    client.on('close', drop)
    upstream.on('close', drop)
    client.on('error', drop)
    upstream.on('error', drop)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      server.close()
      for (const s of sockets) s.destroy()
    },
  }
}

test(`an idempotent producer's ${COUNT} messages land exactly once, in order, across ${KILLS} broker SIGKILLs`, async (t) => {
  const dataDir = tempDir(t)
  let brokerPort = 0
  const proxy = await laggyProxy(() => brokerPort)
  t.after(() => proxy.close())
  let broker = await startBroker(t, dataDir, { args: ['--advertise', `127.0.0.1:${proxy.port}`] })
  brokerPort = broker.port
  const producer = spawn(
    PYTHON,
    [
      script('ck_idempotent.py'),
      ...['--bootstrap', `127.0.0.1:${proxy.port}`, '--topic', 'idem'],
      ...['--count', String(COUNT), '--rate', '10000'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  t.after(() => producer.kill('SIGKILL'))
  let acked = 0
  let done: number | null = null
  const problems: string[] = []
  let pending = ''
  producer.stdout.on('data', (d: Buffer) => {
    pending += d.toString()
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      const [kind, a] = line.split(' ')
      if (kind === 'ack') acked++
      else if (kind === 'done') done = Number(a)
      else if (kind === 'nack' || (kind === 'error' && line.endsWith('True'))) problems.push(line)
    }
  })
  let stderr = ''
  producer.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })

  for (let i = 1; i <= KILLS; i++) {
    const threshold = Math.floor((COUNT * i) / (KILLS + 2))
    await until(60_000, `${threshold} acks (have ${acked})`, () => acked >= threshold || done !== null)
    assert.equal(done, null, 'the producer finished before every kill happened')
    await sleep(Math.random() * 30)
    await broker.kill()
    await sleep(50 + Math.random() * 200)
    broker = await broker.restart()
  }
  await until(120_000, `the producer to finish (${acked} acks)`, () => done !== null)
  assert.deepEqual(problems, [], stderr)
  assert.equal(done, 0)
  assert.ok(acked >= COUNT, `${acked} acks`)
  await broker.stop()

  // Closed here rather than in t.after: after-hooks run in registration order, so the temporary
  // directory would be removed before the store could write its clean-shutdown marker.
  const store = LogStore.open(dataDir, { maintenanceIntervalMs: 0 })
  const values: string[] = []
  try {
    const log = store.partition('idem', 0)!
    for (let offset = 0; offset < log.highWatermark; ) {
      const { bytes } = await log.read(offset, 1 << 20)
      for (const r of decodeAll(bytes)) {
        values.push(text(r.value)!)
        offset = Number(r.offset) + 1
      }
    }
  } finally {
    await store.close()
  }
  t.diagnostic(`${acked} acks for ${COUNT} messages; ${values.length} stored`)
  assert.equal(values.length, COUNT)
  for (let i = 0; i < COUNT; i++)
    if (values[i] !== `m-${i}`) assert.fail(`offset ${i} holds ${values[i]}, not m-${i}`)
})
