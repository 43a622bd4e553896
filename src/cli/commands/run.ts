// `riffle run <pipeline.ts>`: imports the module, compiles its default export (a Pipeline) and runs
// it in this process on the data directory, with the platform (log, broker, Kafka and HTTP
// listeners) started as by `riffle serve`, so Kafka clients can feed the pipeline's input topics and
// read its output while it runs. SIGINT/SIGTERM ends the run with a final checkpoint (exit 0); a
// second signal exits at once. A pipeline whose sources are all bounded ends by itself. Progress
// goes to stderr: stdout belongs to the pipeline (stdout sinks). With --bootstrap the topics live on
// an external cluster (src/connectors/kafka): no platform starts, the data directory holds only the
// pipeline's checkpoints, and the broker/listener flags are refused.
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { connectKafkaIO } from '../../connectors/kafka/io.ts'
import { ScaledOutRun } from '../../connectors/kafka/scale-out.ts'
import { RiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import { parseDuration, systemClock } from '../../core/time.ts'
import {
  type Job,
  ParallelRun,
  PipelineTask,
  type TaskStats,
  checkpointParallelism,
  embeddedIO,
  pipelineDir,
  producerIdsFrom,
} from '../../engine/index.ts'
import { startPlatform } from '../../server/platform.ts'
import { SERVE_OPTIONS, resolveServeValues } from '../serve-config.ts'
import { loadJob } from './load-pipeline.ts'
import { WorkerMembers } from './worker-members.ts'

export const runHelp = `Usage: riffle run <pipeline.ts> [options]

Runs the pipeline that <pipeline.ts> exports as default (see "Pipelines" in README.md) in this
process, on a data directory, with the broker beside it as in 'riffle serve' so that Kafka clients
can write the pipeline's input and read its output. Checkpoints go to <data-dir>/pipelines/<name>;
a restart continues from the latest. SIGINT/SIGTERM stops with a final checkpoint (exit 0).

Options:
  --data-dir DIR             data directory (default ./data) [RIFFLE_DATA_DIR]
  --kafka HOST:PORT          Kafka listener (default 127.0.0.1:9092; port 0 picks a free one) [RIFFLE_KAFKA]
  --http HOST:PORT|off       HTTP API (default 127.0.0.1:8080) [RIFFLE_HTTP]
  --advertise, --default-partitions, --no-auto-create-topics, --max-request-bytes, --config
                             as for 'riffle serve'
  --progress DURATION        how often a progress line goes to stderr (default 5s; 0: start and end only)
  --bootstrap HOST:PORT      read topic sources and write topic sinks on an external Kafka cluster
                             instead; no broker or listeners start here, the data directory holds
                             only checkpoints
  --scale-out                with --bootstrap: join the pipeline's consumer group and share its
                             tasks with every other process running it (see README, "Scale-out")
  --parallelism N            on this process's own broker: run the pipeline as N tasks per stage,
                             one worker thread each, with in-memory keyed exchanges (default: the
                             parallelism of its latest checkpoint, otherwise the number of cores;
                             1 runs one task on the main thread; a pipeline writing a file runs
                             as one task)
  --workers N                run N members of the pipeline's consumer group in this process, one
                             per worker thread, so its tasks spread over N cores: against this
                             process's own broker, or with --bootstrap (implies --scale-out)
  -h, --help                 show this help`

function plural(n: number): string {
  return n.toLocaleString('en-US')
}

function progressLine(job: Job, s: TaskStats, rate: number | null, now: number): string {
  const parts = [
    `in ${plural(s.recordsIn)}${rate === null ? '' : ` (${plural(Math.round(rate))}/s)`}`,
    `out ${plural(s.recordsOut)}`,
  ]
  if (s.skipped > 0) parts.push(`skipped ${plural(s.skipped)}`)
  if (s.deadLettered > 0) parts.push(`dead-lettered ${plural(s.deadLettered)}`)
  const cp = s.lastCheckpoint
  parts.push(cp ? `checkpoint #${cp.id} ${((now - cp.time) / 1000).toFixed(1)}s ago` : 'no checkpoint yet')
  return `riffle run: ${job.name} ${s.state}: ${parts.join(', ')}\n`
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...SERVE_OPTIONS,
      progress: { type: 'string' },
      bootstrap: { type: 'string' },
      'scale-out': { type: 'boolean' },
      workers: { type: 'string' },
      parallelism: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(runHelp)
    return 0
  }
  if (positionals.length !== 1)
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `give exactly one pipeline module (got ${positionals.length})\n\n${runHelp}`,
    )
  if (values['scale-out'] && values.bootstrap === undefined)
    throw new RiffleError(
      'INVALID_ARGUMENT',
      '--scale-out needs --bootstrap HOST:PORT: a cluster to share the work through',
    )
  if (values.bootstrap !== undefined) {
    const platformOnly = ['kafka', 'advertise', 'http', 'default-partitions', 'max-request-bytes'] as const
    const given: string[] = platformOnly.filter((name) => values[name] !== undefined)
    if (values['no-auto-create-topics']) given.push('no-auto-create-topics')
    if (given.length > 0)
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `--bootstrap runs no broker here, so ${given.map((g) => `--${g}`).join(', ')} cannot apply`,
      )
  }
  const progressEvery = parseDuration(values.progress ?? '5s')

  // The platform settings, exactly as `riffle serve` resolves them.
  const options = resolveServeValues(values, process.env)

  const workers = values.workers === undefined ? null : Number(values.workers)
  if (workers !== null && !(Number.isInteger(workers) && workers >= 1 && workers <= 256))
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `--workers takes a whole number from 1 to 256, not '${values.workers}'`,
    )

  const parallelism = values.parallelism === undefined ? null : Number(values.parallelism)
  if (parallelism !== null && !(Number.isInteger(parallelism) && parallelism >= 1 && parallelism <= 256))
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `--parallelism takes a whole number from 1 to 256, not '${values.parallelism}'`,
    )
  if (parallelism !== null && (values.bootstrap !== undefined || workers !== null))
    throw new RiffleError(
      'INVALID_ARGUMENT',
      '--parallelism applies to a pipeline on its own broker; with a cluster or --workers, tasks spread through the consumer group',
    )

  const file = path.resolve(positionals[0]!)
  const job = await loadJob(file)

  const log = childLogger('run')
  let task: Pick<PipelineTask, 'stats' | 'stop' | 'run'>
  let closeIO: () => Promise<void>
  const groupLine = (where: string): string =>
    `riffle run: ${job.name} starting: ${where}, consumer group riffle-pipeline-${job.name}, ` +
    `${workers} worker(s), ${job.options.guarantee}, checkpoint every ${job.options.checkpointEvery} ms\n`
  if (workers !== null && values.bootstrap !== undefined) {
    // Members of the pipeline's group in worker threads of this process, on an external cluster.
    task = new WorkerMembers(workers, { file, bootstrap: values.bootstrap, dataDir: options.dataDir })
    closeIO = async () => {}
    process.stderr.write(groupLine(`bootstrap ${values.bootstrap}`))
  } else if (workers !== null) {
    // Members in worker threads, on this process's own broker, reached through its Kafka listener:
    // the same group protocol, exchange and state topics as across processes.
    const platform = await startPlatform(options)
    closeIO = () => platform.close()
    const bootstrap = `${platform.kafka.host}:${platform.kafka.port}`
    task = new WorkerMembers(workers, { file, bootstrap, dataDir: options.dataDir })
    const http = platform.http ? `${platform.http.host}:${platform.http.port}` : 'off'
    process.stderr.write(groupLine(`kafka ${bootstrap}, http ${http}, data ${options.dataDir}`))
  } else if (values.bootstrap !== undefined && values['scale-out']) {
    // An external cluster: no platform here (no log, no listeners). This process joins the
    // pipeline's consumer group and runs the tasks the group assigns it; checkpoints live in the
    // cluster's state topics, so any member can take any task over.
    const scaled = await ScaledOutRun.connect({
      bootstrap: values.bootstrap,
      job,
      clock: systemClock,
      dataDir: options.dataDir,
    })
    task = scaled
    closeIO = async () => {}
    const stages = scaled.staged.stages.map((s) => `${s.id}×${s.parallelism}`).join(', ')
    process.stderr.write(
      `riffle run: ${job.name} starting: bootstrap ${values.bootstrap}, consumer group riffle-pipeline-${job.name}, ` +
        `stages ${stages}, ${job.options.guarantee}, checkpoint every ${job.options.checkpointEvery} ms\n`,
    )
  } else if (values.bootstrap !== undefined) {
    // An external cluster, one task in this process: the data directory holds only the
    // pipeline's checkpoints.
    const io = await connectKafkaIO({ bootstrap: values.bootstrap, job, clock: systemClock })
    closeIO = () => io.close()
    try {
      task = new PipelineTask(job, { io, dataDir: options.dataDir })
    } catch (e) {
      await closeIO()
      throw e
    }
    process.stderr.write(
      `riffle run: ${job.name} starting: bootstrap ${values.bootstrap}, ` +
        `data ${options.dataDir}, ${job.options.guarantee}, checkpoint every ${job.options.checkpointEvery} ms\n`,
    )
  } else {
    const threads = chooseParallelism(job, parallelism, options.dataDir)
    const platform = await startPlatform(options)
    closeIO = () => platform.close()
    try {
      if (threads > 1)
        task = new ParallelRun({
          module: file,
          job,
          store: platform.store,
          dataDir: options.dataDir,
          parallelism: threads,
          producerIds: producerIdsFrom(platform.broker.transactions),
        })
      else
        task = new PipelineTask(job, {
          io: embeddedIO({
            store: platform.store,
            guarantee: job.options.guarantee,
            clock: systemClock,
            producerIds: producerIdsFrom(platform.broker.transactions),
          }),
          dataDir: options.dataDir,
        })
    } catch (e) {
      await platform.close()
      throw e
    }
    const http = platform.http ? `${platform.http.host}:${platform.http.port}` : 'off'
    process.stderr.write(
      `riffle run: ${job.name} starting: kafka ${platform.kafka.host}:${platform.kafka.port}, http ${http}, ` +
        `data ${options.dataDir}, ${threads > 1 ? `parallelism ${threads} (worker threads)` : 'one task'}, ` +
        `${job.options.guarantee}, checkpoint every ${job.options.checkpointEvery} ms\n`,
    )
  }

  let signals = 0
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      process.stderr.write(`riffle run: ${signal} again, exiting without a final checkpoint\n`)
      process.exit(130)
    }
    log.info({ signal }, 'stopping the pipeline')
    task.stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A line every `progressEvery` while records flow; when idle, one a minute.
  let last = { time: Date.now(), in: task.stats.recordsIn, out: task.stats.recordsOut, printed: 0 }
  const timer =
    progressEvery > 0
      ? setInterval(() => {
          const now = Date.now()
          const { recordsIn, recordsOut } = task.stats
          if (recordsIn === last.in && recordsOut === last.out && now - last.printed < 60_000) return
          // The first line's counts may include what the checkpoint restored: no rate for it.
          const rate =
            last.printed === 0 ? null : ((recordsIn - last.in) * 1000) / Math.max(1, now - last.time)
          last = { time: now, in: recordsIn, out: recordsOut, printed: now }
          process.stderr.write(progressLine(job, task.stats, rate, now))
        }, progressEvery)
      : null
  try {
    const outcome = await task.run()
    process.stderr.write(progressLine(job, task.stats, null, Date.now()))
    if (outcome === 'finished')
      process.stderr.write(`riffle run: ${job.name} finished: its input is exhausted\n`)
    return 0
  } catch (e) {
    process.stderr.write(`riffle run: ${job.name} failed: ${(e as Error).message}\n`)
    log.error({ err: e }, 'pipeline failed')
    return 1
  } finally {
    if (timer) clearInterval(timer)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await closeIO()
  }
}

/**
 * Tasks per stage for a pipeline on its own broker: as asked, else as its latest checkpoint was
 * taken (a checkpoint restores only into the same tasks), else one per core. A file sink cannot be
 * shared by several tasks, so such a pipeline runs as one.
 */
function chooseParallelism(job: Job, asked: number | null, dataDir: string): number {
  const dir = `${pipelineDir(dataDir, job.name)}/checkpoints`
  const taken = checkpointParallelism(dir, job.options.keepCheckpoints)
  const writesFile = Object.values(job.sinks).some((s) => s.kind === 'file')
  if (asked !== null && taken !== null && asked !== taken)
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `the latest checkpoint of pipeline '${job.name}' was taken with parallelism ${taken}: run it with ` +
        `--parallelism ${taken}, or delete ${dir} to start over with ${asked}`,
    )
  if (asked !== null && asked > 1 && writesFile)
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `pipeline '${job.name}' writes a file, which one task must write alone: run it with --parallelism 1`,
    )
  if (asked !== null) return asked
  if (taken !== null) return taken
  return writesFile ? 1 : os.availableParallelism()
}
