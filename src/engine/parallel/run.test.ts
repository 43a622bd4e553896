// A pipeline on several worker threads of one process: the same exact output as one task, across
// stops and crashes, with topics read and written through the main thread's log.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { clicks, clicksPerMinute, committed, produce, windowCounts } from '../../../test/helpers/pipelines.ts'
import { testPlatform } from '../../../test/helpers/platform.ts'
import { apiUrl } from '../../../test/helpers/riffle-run.ts'
import { tempDir } from '../../../test/helpers/tmp.ts'
import { RiffleError } from '../../core/errors.ts'
import type { Platform } from '../../server/platform.ts'
import { producerIdsFrom } from '../io/embedded.ts'
import type { Job } from '../runtime/job.ts'
import { ParallelRun } from './run.ts'

/** A module counting clicks per page and minute from the bounded topic `clicks` (4 partitions). */
function clicksModule(dir: string, name: string, checkpointEvery = '30ms'): string {
  const file = path.join(dir, `${name}.ts`)
  fs.writeFileSync(
    file,
    `import { boundedOutOfOrderness, count, pipeline, topic, tumbling } from '${apiUrl}'
const p = pipeline('${name}', { checkpointEvery: '${checkpointEvery}', batchSize: 50 })
p.from(topic<{ page: string; ts: number }>('clicks', { bounded: true, partitions: 4 }))
  .withEventTime((c) => c.ts, boundedOutOfOrderness('5s'))
  .filter((c) => c.page !== '/health')
  .keyBy((c) => c.page)
  .window(tumbling('1m'))
  .aggregate(count())
  .to(topic('clicks-per-minute', { partitions: 3 }))
export default p
`,
  )
  return file
}

/** A parallel run of the module `file` (compiled here as `job`) on the test platform's log. */
function parallelRun(platform: Platform, file: string, job: Job, parallelism = 2): ParallelRun {
  return new ParallelRun({
    module: file,
    job,
    store: platform.store,
    dataDir: platform.store.dir,
    parallelism,
    producerIds: producerIdsFrom(platform.broker.transactions),
  })
}

async function load(file: string): Promise<Job> {
  const mod = (await import(pathToFileURL(file).href)) as { default: { compile(): Job } }
  return mod.default.compile()
}

test(
  'two worker threads give exactly the output of one task, exactly once',
  { timeout: 120_000 },
  async (t) => {
    const platform = await testPlatform(t)
    const input = clicks(4, 1500)
    await produce(platform.store, 'clicks', input)
    // Checkpoints an hour apart: the run takes the first, and the others because tasks whose input
    // ended ask for them, so it ends in moments rather than hours.
    const file = clicksModule(tempDir(t), 'parallel-clicks', '1h')
    const run = parallelRun(platform, file, await load(file))
    assert.deepEqual(
      run.plan.tasks.map((x) => x.id),
      ['source-1#0', 'source-1#1', 'keyBy-3#0', 'keyBy-3#1'],
    )
    assert.equal(await run.run(), 'finished')
    const out = await committed(platform.store, 'clicks-per-minute')
    assert.deepEqual(windowCounts(out.records), clicksPerMinute(input))
    assert.equal(out.open, 0)
    assert.equal(run.stats.recordsIn, 6000)
    assert.equal(run.stats.recordsOut, out.records.length)
    assert.ok(run.stats.checkpoints >= 2)
    assert.ok(run.stats.checkpoints <= 4, `${run.stats.checkpoints} checkpoints`)
  },
)

test(
  'killed mid-run four times and restarted, a parallel run stays exactly once',
  { timeout: 120_000 },
  async (t) => {
    const platform = await testPlatform(t)
    const input = clicks(4, 4000, 7)
    await produce(platform.store, 'clicks', input)
    const file = clicksModule(tempDir(t), 'parallel-kills', '20ms')
    const job = await load(file)
    const start = () => parallelRun(platform, file, job)
    // Each run is killed once the records read (counted on from the checkpoint it restored) pass
    // a mark, a few milliseconds later by the worker's reports: mid-run, at a moment of its own.
    for (const mark of [1500, 5000, 8000, 12_000]) {
      const run = start()
      const done = run.run()
      while (run.stats.recordsIn < mark && run.stats.state !== 'finished')
        await new Promise((r) => setTimeout(r, 1))
      await run.kill()
      assert.equal(await done, 'stopped', `killed past ${mark} records, before the end`)
    }
    assert.equal(await start().run(), 'finished')
    const out = await committed(platform.store, 'clicks-per-minute')
    assert.deepEqual(windowCounts(out.records), clicksPerMinute(input))
    assert.equal(out.open, 0)
  },
)

test(
  'stopped, a parallel run restarts where it stopped; another parallelism is refused',
  { timeout: 120_000 },
  async (t) => {
    const platform = await testPlatform(t)
    // Partitions 1 and 3 (task 1's) are empty: that task ends at once, and the restart must go on
    // without it (its channels end before the others' first barrier).
    const input = clicks(4, 6000, 3).map((p, i) => (i % 2 === 1 ? [] : p))
    await produce(platform.store, 'clicks', input)
    const file = clicksModule(tempDir(t), 'parallel-stop')
    const job = await load(file)
    const first = parallelRun(platform, file, job)
    const done = first.run()
    setTimeout(() => first.stop(), 100)
    assert.equal(await done, 'stopped')
    assert.ok(first.stats.recordsIn < 12_000, `stopped before the end (${first.stats.recordsIn})`)
    assert.throws(
      () => parallelRun(platform, file, job, 3),
      (e: unknown) =>
        e instanceof RiffleError &&
        /taken with parallelism 2, and this run has parallelism 3/.test(e.message),
    )
    assert.equal(await parallelRun(platform, file, job).run(), 'finished')
    const out = await committed(platform.store, 'clicks-per-minute')
    assert.deepEqual(windowCounts(out.records), clicksPerMinute(input))
    assert.equal(out.open, 0)
  },
)

test(
  'two keyBys: barriers pass through a stage that reads one exchange and writes another, across a kill',
  { timeout: 120_000 },
  async (t) => {
    const platform = await testPlatform(t)
    const input = clicks(4, 2500, 5)
    await produce(platform.store, 'clicks', input)
    const file = path.join(tempDir(t), 'two-stages.ts')
    // Clicks per page and minute, then per minute the sum over pages: keyed twice.
    fs.writeFileSync(
      file,
      `import { boundedOutOfOrderness, count, pipeline, sum, topic, tumbling } from '${apiUrl}'
const p = pipeline('two-stages', { checkpointEvery: '20ms', batchSize: 50 })
p.from(topic<{ page: string; ts: number }>('clicks', { bounded: true }))
  .withEventTime((c) => c.ts, boundedOutOfOrderness('5s'))
  .filter((c) => c.page !== '/health')
  .keyBy((c) => c.page)
  .window(tumbling('1m'))
  .aggregate(count())
  .keyBy((w) => w.start)
  .window(tumbling('1m'))
  .aggregate(sum((w: { value: number }) => w.value))
  .to(topic('clicks-per-minute', { partitions: 2 }))
export default p
`,
    )
    const job = await load(file)
    const start = () => parallelRun(platform, file, job)
    const first = start()
    assert.equal(first.plan.stages.length, 3)
    const done = first.run()
    // Killed once a fifth of the input is in (the workers report every 50 ms), then restarted.
    while (first.stats.recordsIn < 2000 && first.stats.state !== 'finished')
      await new Promise((r) => setTimeout(r, 2))
    await first.kill()
    assert.equal(await done, 'stopped')
    assert.equal(await start().run(), 'finished')
    // Expected: clicks per minute over all pages (the window of the second keyBy is the minute).
    const expected = new Map<string, number>()
    for (const [k, n] of clicksPerMinute(input)) {
      const minute = k.slice(k.indexOf('|') + 1)
      expected.set(minute, (expected.get(minute) ?? 0) + n)
    }
    const out = await committed(platform.store, 'clicks-per-minute')
    const got = new Map<string, number>()
    for (const r of out.records) {
      const w = JSON.parse(r.value!) as { key: number; start: number; value: number }
      assert.equal(w.key, w.start)
      assert.ok(!got.has(String(w.start)), `minute ${w.start} appears twice`)
      got.set(String(w.start), w.value)
    }
    assert.deepEqual(got, expected)
    assert.equal(out.open, 0)
  },
)
