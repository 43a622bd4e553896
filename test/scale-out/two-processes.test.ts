// Scale-out acceptance: two `riffle run --bootstrap --scale-out` processes running one pipeline against one
// broker (`riffle serve`, a third process) split its tasks through the consumer-group protocol, and
// together produce exactly what one process alone produces, which is exactly the result computed
// here without the engine. The pipeline is a keyed windowed count, so records cross between the
// processes through the exchange topic, and the second process joins while the first is working,
// so tasks move with their state.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { startBroker } from '../helpers/broker.ts'
import { readCommitted } from '../helpers/kafkajs-read.ts'
import {
  BASE_TIME,
  type Click,
  clicks,
  clicksPerMinute,
  pageCountsModule,
  windowCounts,
} from '../helpers/pipelines.ts'
import { type Run, riffleRun } from '../helpers/riffle-run.ts'
import { tempDir } from '../helpers/tmp.ts'

const PARTITIONS = 4
const PER_PARTITION = 1500
const WINDOW = 1000
/** Stage tasks: 4 reading the clicks' partitions, 4 reading the exchange's. */
const TASKS = 8

/** The tasks a process holds after its latest assignment. */
function held(run: Run): string[] {
  const lines = [...run.stderr().matchAll(/holds \d+ task\(s\): ([^\n]*)\n/g)]
  const last = lines.at(-1)?.[1] ?? 'none'
  return last === 'none' ? [] : last.split(' ')
}

test('two processes split one pipeline through the consumer group and produce what one process does', async (t) => {
  const broker = await startBroker(t, tempDir(t))
  const dir = tempDir(t)
  const runs: Run[] = []
  t.after(async () => {
    for (const r of runs) r.child.kill('SIGKILL')
    await broker.kill()
  })
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: 'clicks', numPartitions: PARTITIONS }] })
  await admin.disconnect()
  const producer = kafka.producer()
  await producer.connect()
  const input = clicks(PARTITIONS, PER_PARTITION, 7)
  const send = async (from: number, to: number, extra: Click[] = []) => {
    for (let p = 0; p < PARTITIONS; p++)
      await producer.send({
        topic: 'clicks',
        messages: [...input[p]!.slice(from, to), ...extra].map((c) => ({
          partition: p,
          value: JSON.stringify(c),
        })),
      })
  }

  const shared = pageCountsModule(dir, 'pages', 'page-counts', WINDOW)
  const solo = pageCountsModule(dir, 'pages-solo', 'page-counts-solo', WINDOW)
  const start = (file: string) => {
    const run = riffleRun([
      file,
      '--bootstrap',
      broker.bootstrap,
      '--scale-out',
      '--data-dir',
      dir,
      '--progress',
      '200ms',
    ])
    runs.push(run)
    return run
  }
  const a = start(shared)
  const one = start(solo)
  await a.waitFor(new RegExp(`holds ${TASKS} task\\(s\\)`))
  await one.waitFor(new RegExp(`holds ${TASKS} task\\(s\\)`))

  // A third of the input with only the first process in the group.
  await send(0, 500)
  await a.waitFor(/pages running: in [1-9]/)
  const b = start(shared)
  await b.waitFor(/holds [1-9] task\(s\)/)
  // The first process gives up what moved to the second.
  const deadline = Date.now() + 30_000
  while (held(a).length + held(b).length !== TASKS && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100))
  const [heldA, heldB] = [held(a), held(b)]
  assert.ok(heldA.length > 0 && heldB.length > 0, `both hold tasks: ${heldA} | ${heldB}`)
  assert.deepEqual(
    [...heldA, ...heldB].sort(),
    [...new Set([...heldA, ...heldB])].sort(),
    'no task is held twice',
  )
  assert.equal(new Set([...heldA, ...heldB]).size, TASKS, 'every task is held')

  // The rest, then on every partition a click an hour later (filtered out as /health, but its event
  // time moves every partition's watermark past every window of the data).
  const late: Click = { page: '/health', user: 'u0', ts: BASE_TIME + 3_600_000 }
  await send(500, PER_PARTITION, [late])
  await producer.disconnect()

  const expected = clicksPerMinute(input, WINDOW)
  const [together, alone] = await Promise.all([
    readCommitted(kafka, 'page-counts', expected.size),
    readCommitted(kafka, 'page-counts-solo', expected.size),
  ])
  for (const r of runs) r.child.kill('SIGTERM')
  for (const r of runs) assert.deepEqual(await r.exited, { code: 0, signal: null }, r.stderr())

  // Exact: every window once, with the count computed here (windowCounts fails on a duplicate).
  assert.deepEqual(windowCounts(alone, WINDOW), expected, one.stderr())
  assert.deepEqual(windowCounts(together, WINDOW), expected, `${a.stderr()}\n---\n${b.stderr()}`)
  // Both processes did some of the work: each wrote output.
  assert.match(a.stderr(), /pages (running|stopping|stopped): in [\d,]+, out [1-9]/)
  assert.match(b.stderr(), /pages (running|stopping|stopped): in [\d,]+, out [1-9]/)
})
