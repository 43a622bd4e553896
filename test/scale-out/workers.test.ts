// `riffle run --workers 2` on its own broker: two members of the pipeline's consumer group in worker
// threads of one process split the tasks of a keyed windowed count (the second joins while the
// first works, so tasks move between threads with their state), and the read_committed output is
// exactly the result computed here, read back both by kafkajs while the process runs and from the
// data directory after it stopped.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { LogStore } from '../../src/log/store.ts'
import { readCommitted } from '../helpers/kafkajs-read.ts'
import {
  BASE_TIME,
  clicks,
  clicksPerMinute,
  committed,
  pageCountsModule,
  produce,
  windowCounts,
} from '../helpers/pipelines.ts'
import { riffleRun } from '../helpers/riffle-run.ts'
import { tempDir } from '../helpers/tmp.ts'

const PARTITIONS = 4
const WINDOW = 1000
/** 4 tasks reading the clicks' partitions, 4 reading the exchange's. */
const TASKS = 8

/** Each worker's tasks after its latest assignment, by worker number. */
function heldByWorker(stderr: string): Map<string, string[]> {
  const held = new Map<string, string[]>()
  for (const m of stderr.matchAll(/\[worker (\d+)\] holds \d+ task\(s\): ([^\n]*)\n/g))
    held.set(m[1]!, m[2] === 'none' ? [] : m[2]!.split(' '))
  return held
}

test('riffle run --workers 2: two worker threads split the pipeline, and the output is exact', async (t) => {
  const dir = tempDir(t)
  const input = clicks(PARTITIONS, 1500, 5)
  // Every partition ends with a click an hour later (filtered out as /health) so that every
  // partition's watermark passes every window of the data.
  const late = { page: '/health', user: 'u0', ts: BASE_TIME + 3_600_000 }
  const store = LogStore.open(dir, { maintenanceIntervalMs: 0 })
  await produce(
    store,
    'clicks',
    input.map((p) => [...p, late]),
  )
  await store.close()
  const file = pageCountsModule(dir, 'pages', 'page-counts', WINDOW)
  const run = riffleRun([
    file,
    '--workers',
    '2',
    '--data-dir',
    dir,
    '--kafka',
    '127.0.0.1:0',
    '--http',
    'off',
    '--progress',
    '100ms',
  ])
  t.after(() => run.kill())
  const [, bootstrap] = await run.waitFor(
    /pages starting: kafka (\S+), http off, data .*, consumer group riffle-pipeline-pages, 2 worker\(s\), exactly-once/,
  )

  // Both workers end up holding tasks, each task held once.
  const deadline = Date.now() + 40_000
  const split = () => {
    const held = heldByWorker(run.stderr())
    const all = [...held.values()].flat()
    return held.size === 2 && [...held.values()].every((h) => h.length > 0) && new Set(all).size === TASKS
      ? held
      : null
  }
  while (!split() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  const held = split()
  assert.ok(held, `both workers hold tasks:\n${run.stderr()}`)
  assert.equal([...held.values()].flat().length, TASKS, 'no task is held twice')

  const expected = clicksPerMinute(input, WINDOW)
  const kafka = new Kafka({ brokers: [bootstrap!], logLevel: logLevel.NOTHING })
  const read = await readCommitted(kafka, 'page-counts', expected.size)
  assert.deepEqual(windowCounts(read, WINDOW), expected)
  await run.waitForProgress((p) => p.out > 0, 'progress lines', 10_000)

  run.child.kill('SIGTERM')
  assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr())
  assert.match(run.stderr(), /pages stopped: in [\d,]+, out [\d,]+, checkpoint #\d+/)
  // The same from the data directory, read by the raw-batch reader: every window once.
  const after = LogStore.open(dir, { maintenanceIntervalMs: 0 })
  const out = await committed(after, 'page-counts').finally(() => after.close())
  assert.deepEqual(windowCounts(out.records, WINDOW), expected)
  assert.equal(out.open, 0)
})
