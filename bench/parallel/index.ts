// bench/parallel: a pipeline on every core of one process (ParallelRun: a worker thread per task,
// in-memory keyed exchange, topics through the main thread's log) next to the same pipeline as one
// task on the main thread (PipelineTask), over the same topic, in the same run. The ratio is the
// speedup that parallelism buys (above 1: faster). See docs/BENCHMARKS.md.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ParallelRun, PipelineTask, embeddedIO, producerIdsFrom } from '../../src/engine/index.ts'
import type { Job } from '../../src/engine/index.ts'
import { encodeRecordBatch } from '../../src/protocol/records/record.ts'
import { type Platform, startPlatform } from '../../src/server/platform.ts'
import { compare, now } from '../lib/measure.ts'
import type { BenchModule, BenchOptions } from '../lib/module.ts'
import {
  type BenchReport,
  REPO_DIR,
  caseResult,
  machineInfo,
  progressLine,
  reportHead,
} from '../lib/report.ts'
import { makeScratchDir, removeScratchDir } from '../lib/tmpdir.ts'

const UNIT = 'events/s'
const BASELINE = 'one task'
const PARTITIONS = 4
const PAGES = 2000
const BASE_TIME = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000

/** Clicks as JSON, spread round robin over the partitions, 40 ms of event time apart. */
async function produce(platform: Platform, events: number): Promise<void> {
  const topic = platform.store.createTopic('clicks', PARTITIONS)
  const per = Math.ceil(events / PARTITIONS)
  for (let p = 0; p < PARTITIONS; p++)
    for (let from = 0; from < per; from += 500) {
      const records = []
      for (let i = from; i < Math.min(per, from + 500); i++) {
        const n = i * PARTITIONS + p
        const value = JSON.stringify({
          page: `/p${(n * 7919) % PAGES}`,
          user: `u${n % 1000}`,
          ts: BASE_TIME + n,
        })
        records.push({ key: null, value: Buffer.from(value), timestamp: BASE_TIME + n })
      }
      await topic.partitions[p]!.append(encodeRecordBatch(records))
    }
}

/** A pipeline module of its own name and output topic (each run starts without checkpoints). */
function moduleFor(dir: string, name: string): string {
  const file = path.join(dir, `${name}.ts`)
  const api = pathToFileURL(path.join(REPO_DIR, 'src/api/index.ts')).href
  fs.writeFileSync(
    file,
    `import { boundedOutOfOrderness, count, pipeline, topic, tumbling } from '${api}'
const p = pipeline('${name}', { checkpointEvery: '1s' })
p.from(topic<{ page: string; user: string; ts: number }>('clicks', { bounded: true }))
  .withEventTime((c) => c.ts, boundedOutOfOrderness('5s'))
  .filter((c) => c.user !== 'u0')
  .keyBy((c) => c.page)
  .window(tumbling('1m'))
  .aggregate(count())
  .to(topic('${name}-out', { partitions: ${PARTITIONS} }))
export default p
`,
  )
  return file
}

async function load(file: string): Promise<Job> {
  const mod = (await import(pathToFileURL(file).href)) as { default: { compile(): Job } }
  return mod.default.compile()
}

let runs = 0
async function once(
  platform: Platform,
  dir: string,
  events: number,
  parallelism: number,
): Promise<{ value: number; details: Record<string, number> }> {
  const file = moduleFor(dir, `bench-${parallelism}-${++runs}`)
  const job = await load(file)
  const producerIds = producerIdsFrom(platform.broker.transactions)
  const task =
    parallelism > 1
      ? new ParallelRun({ module: file, job, store: platform.store, dataDir: dir, parallelism, producerIds })
      : new PipelineTask(job, {
          io: embeddedIO({
            store: platform.store,
            guarantee: 'exactly-once',
            clock: { now: Date.now },
            producerIds,
          }),
          dataDir: dir,
        })
  const t = now()
  const outcome = await task.run()
  const ms = now() - t
  if (outcome !== 'finished') throw new Error(`bench/parallel: the run ended '${outcome}'`)
  const s = task.stats
  if (s.recordsIn !== events) throw new Error(`bench/parallel: read ${s.recordsIn} of ${events} events`)
  return {
    value: events / (ms / 1000),
    details: { ms: Math.round(ms), out: s.recordsOut, checkpoints: s.checkpoints },
  }
}

const bench: BenchModule = {
  name: 'parallel',
  title: 'A pipeline on every core (worker threads) vs the same pipeline as one task, same run',
  async run(opts: BenchOptions): Promise<BenchReport> {
    const started = Date.now()
    const cores = os.availableParallelism()
    const events = opts.quick ? 40_000 : 2_000_000
    const reps = opts.quick ? 3 : 5
    const dir = makeScratchDir('riffle-bench-parallel-')
    const machine = machineInfo(dir)
    const platform = await startPlatform({
      dataDir: dir,
      kafka: { host: '127.0.0.1', port: 0 },
      http: null,
      defaultPartitions: 1,
      autoCreateTopics: true,
      maxRequestBytes: 1 << 20,
      topicDefaults: {},
      initialRebalanceDelayMs: 0,
      maintenanceIntervalMs: 0,
    })
    try {
      await produce(platform, events)
      const title = `clicks per page and minute, ${events.toLocaleString('en')} events`
      const c = await compare({
        reps,
        warmup: {
          riffle: () => once(platform, dir, events, cores),
          baseline: () => once(platform, dir, events, 1),
        },
        riffle: () => once(platform, dir, events, cores),
        baseline: () => once(platform, dir, events, 1),
        onPair: progressLine(title, UNIT),
      })
      machine.loadAverage.end = os.loadavg().map((l) => Number(l.toFixed(2)))
      return {
        ...reportHead('parallel', bench.title, started, opts.quick, machine),
        settings: {
          reps,
          events,
          parallelism: cores,
          sourcePartitions: PARTITIONS,
          pages: PAGES,
          pipeline:
            'bounded JSON topic → event time → filter → keyBy(page) → tumbling 1 min → count → topic, exactly-once, checkpoint every 1 s',
        },
        baselines: {
          [BASELINE]:
            'the same pipeline as one PipelineTask on the main thread, reading and writing the log directly (the single-task runtime)',
        },
        cases: [
          caseResult(c, {
            id: 'clicks-per-minute',
            title,
            unit: UNIT,
            baselineLabel: BASELINE,
            params: { events, parallelism: cores },
          }),
        ],
        notes: [
          `riffle: ParallelRun with parallelism ${cores} (the cores of this machine): a worker thread per task index, the main thread serving the log and the checkpoints`,
        ],
      }
    } finally {
      await platform.close()
      removeScratchDir(dir)
    }
  },
}

export default bench
