// `riffle run` as a real child process: the example pipeline over a topic until SIGTERM, and the
// exactly-once guarantee under SIGKILL at random moments: however often the process dies and
// restarts, the read_committed output equals the expected output exactly, nothing missing and
// nothing twice.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { readCommitted } from '../../../test/helpers/kafkajs-read.ts'
import {
  type Click,
  clicks,
  clicksPerMinute,
  committed,
  produce,
  windowCounts,
} from '../../../test/helpers/pipelines.ts'
import { type Run, apiUrl, riffleRun as spawnRun } from '../../../test/helpers/riffle-run.ts'
import { tempDir } from '../../../test/helpers/tmp.ts'
import { SeededRandom } from '../../engine/testing/random.ts'
import { LogStore } from '../../log/store.ts'

const root = path.resolve(import.meta.dirname, '../../..')

/** `riffle run` beside its own broker on free ports. */
const riffleRun = (args: string[]): Run => spawnRun([...args, '--kafka', '127.0.0.1:0', '--http', 'off'])

async function withStore<T>(dir: string, f: (store: LogStore) => Promise<T>): Promise<T> {
  const store = LogStore.open(dir, { maintenanceIntervalMs: 0 })
  try {
    return await f(store)
  } finally {
    await store.close()
  }
}

test('riffle run: the example, fed and read by Kafka clients while it runs, until SIGTERM', async (t) => {
  const dir = tempDir(t)
  const input = clicks(1, 4000, 7)[0]!
  // One click far ahead moves event time past every window of the others.
  const flush: Click = { page: '/late-comer', user: 'x', ts: Date.UTC(2030, 0, 1) }
  const expected = clicksPerMinute([input])
  const run = riffleRun([
    path.join(root, 'examples/clicks-per-page.ts'),
    '--data-dir',
    dir,
    '--progress',
    '50ms',
  ])
  t.after(() => run.child.kill('SIGKILL'))
  const started = await run.waitFor(/clicks-per-page starting: kafka 127\.0\.0\.1:(\d+), http off/)
  const kafka = new Kafka({ brokers: [`127.0.0.1:${started[1]}`], logLevel: logLevel.NOTHING })
  const producer = kafka.producer()
  await producer.connect()
  for (let i = 0; i < input.length; i += 500)
    await producer.send({
      topic: 'clicks',
      messages: input.slice(i, i + 500).map((c) => ({ value: JSON.stringify(c) })),
    })
  await producer.send({ topic: 'clicks', messages: [{ value: JSON.stringify(flush) }] })
  await producer.disconnect()
  await run.waitFor(/clicks-per-page running: in 4,001\b/)
  // Results become visible to read_committed consumers with the next checkpoint (every 10 s).
  const read = await readCommitted(kafka, 'clicks-per-minute', expected.size)
  assert.deepEqual(windowCounts(read), expected)

  run.child.kill('SIGTERM')
  assert.deepEqual(await run.exited, { code: 0, signal: null })
  assert.match(
    run.stderr(),
    new RegExp(`clicks-per-page stopped: in 4,001, out ${expected.size}, checkpoint #\\d+ \\d+\\.\\ds ago\n`),
  )
  const out = await withStore(dir, (store) => committed(store, 'clicks-per-minute'))
  assert.deepEqual(windowCounts(out.records), expected)
  assert.equal(out.open, 0)
})

test('riffle run: a pipeline that is not a default export, and --bootstrap with listener options, are refused clearly', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'nothing.ts')
  fs.writeFileSync(file, 'export const x = 1\n')
  const bad = riffleRun([file, '--data-dir', dir])
  assert.deepEqual(await bad.exited, { code: 1, signal: null })
  assert.match(bad.stderr(), /riffle run: .*nothing\.ts must export a pipeline as default/)
  // --bootstrap starts no broker here, so the listener options riffleRun passes cannot apply.
  const external = riffleRun([file, '--bootstrap', 'kafka:9092'])
  assert.deepEqual(await external.exited, { code: 1, signal: null })
  assert.match(external.stderr(), /--bootstrap runs no broker here, so --kafka, --http cannot apply/)
})

test('exactly once across SIGKILLs at random moments: the read_committed output is exact', async (t) => {
  const dir = tempDir(t)
  const partitions = 3
  const input = clicks(partitions, 12_000, 11)
  await withStore(dir, (store) => produce(store, 'clicks', input))
  const api = apiUrl
  const file = path.join(dir, 'eos.ts')
  fs.writeFileSync(
    file,
    `import { boundedOutOfOrderness, count, pipeline, topic, tumbling } from '${api}'
const p = pipeline('eos', { checkpointEvery: '25ms', batchSize: 50 })
p.from(topic<{ page: string; ts: number }>('clicks', { bounded: true }))
  .withEventTime((c) => c.ts, boundedOutOfOrderness('5s'))
  .filter((c) => c.page !== '/health')
  .keyBy((c) => c.page)
  .window(tumbling('1s'))
  .aggregate(count())
  .to(topic('clicks-per-second', { partitions: 3 }))
export default p
`,
  )
  const total = partitions * 12_000
  const seed = Number(process.env.RIFFLE_TEST_SEED ?? Date.now() % 100_000)
  t.diagnostic(`kill moments from seed ${seed} (RIFFLE_TEST_SEED=${seed} replays them)`)
  const rnd = new SeededRandom(seed)
  let kills = 0
  // Kills that left a transaction open on the output (aborted by the next run). At least one is
  // needed, or the test could pass without exercising an abort; under load all 12 kills can fall
  // between transactions, so killing goes on until one lands inside.
  let inside = 0
  for (let attempt = 0; (kills < 12 || inside === 0) && attempt < 60; attempt++) {
    const run = riffleRun([file, '--data-dir', dir, '--progress', '10ms'])
    await run.waitFor(/eos starting/)
    if (kills % 4 === 3) {
      // Now and then during the restore: recovery, the first checkpoint.
      await new Promise((r) => setTimeout(r, rnd.int(0, 40)))
    } else {
      const target = rnd.int(Math.floor(total * 0.05), Math.floor(total * 0.9))
      const reached = (s: string) =>
        [...s.matchAll(/in ([\d,]+)/g)].some((m) => Number(m[1]!.replaceAll(',', '')) >= target)
      while (!reached(run.stderr()) && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 2))
      await new Promise((r) => setTimeout(r, rnd.int(0, 15)))
    }
    if (run.child.exitCode !== null) continue // finished before the kill: try again
    run.child.kill('SIGKILL')
    const exit = await run.exited
    if (exit.signal !== 'SIGKILL') continue
    kills++
    const open = await withStore(dir, async (store) =>
      (store.topic('clicks-per-second')?.partitions ?? []).some((log) => log.openTransactions().length > 0),
    )
    if (open) inside++
  }
  assert.ok(kills >= 10, `killed ${kills} times`)
  assert.ok(inside > 0, 'a kill interrupted a transaction')
  const last = riffleRun([file, '--data-dir', dir, '--progress', '0'])
  assert.deepEqual(await last.exited, { code: 0, signal: null }, last.stderr())
  assert.match(last.stderr(), /eos finished: its input is exhausted/)
  const out = await withStore(dir, (store) => committed(store, 'clicks-per-second'))
  assert.deepEqual(windowCounts(out.records, 1000), clicksPerMinute(input, 1000))
  assert.equal(out.open, 0)
  t.diagnostic(
    `${kills} kills (${inside} inside a transaction), ${out.aborted} aborted transactions, ${out.records.length} results`,
  )
  assert.ok(out.aborted > 0, 'kills interrupted transactions')
  await withStore(dir, async (store) => {
    for (const log of store.topic('clicks-per-second')!.partitions)
      assert.equal(log.lastStableOffset, log.highWatermark)
  })
  // The runs took one task per core (the default); another parallelism cannot restore them.
  const taken = os.availableParallelism()
  const other = riffleRun([file, '--data-dir', dir, '--progress', '0', '--parallelism', String(taken + 1)])
  assert.notEqual((await other.exited).code, 0)
  assert.match(
    other.stderr(),
    new RegExp(
      `taken with parallelism ${taken}: run it with --parallelism ${taken}, or delete .* to start over`,
    ),
  )
})
