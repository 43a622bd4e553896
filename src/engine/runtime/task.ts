// Runs a job in one task: one LocalGraph (every operator of the plan, chained in process), its
// sources and sinks, and its checkpoints. The loop is plain and sequential, which is what makes a
// checkpoint consistent without barriers: between two iterations every fetched record has gone
// through the whole graph, so the graph's snapshot, the sources' positions and the sinks' output
// describe the same moment.
//
//   restore the latest checkpoint → sinks recover (finish its commit, abort what followed it)
//   → write a checkpoint of the starting point → loop:
//     fetch at most one bounded batch per source (only once the graph has processed the last one)
//     → push it through the graph → fire processing-time timers → hand output to the sinks and
//     wait while too much is in flight (backpressure) → every `checkpointEvery`: checkpoint
//     → nothing to read: wait for data, a timer or stop()
//   → bounded sources exhausted: end of input (the maximum watermark), a final checkpoint, done;
//     stop(): a final checkpoint, done.
//
// A checkpoint is two-phase: sinks prepare (everything written is durable; exactly-once topic
// sinks name the transaction to commit), the checkpoint file is written durably, then sinks commit
// (transaction markers). The write and the commit happen while the loop goes on; what the graph
// outputs meanwhile is held back (it belongs to the next transaction, which begins only after the
// commit), and a checkpoint that falls due meanwhile waits. In a parallel run a CheckpointTrigger
// replaces the clock (engine/parallel). Everything the task touches outside itself goes through
// TaskIO, so the same loop runs in a worker thread with other readers and writers.
import { RiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import { type Clock, systemClock } from '../../core/time.ts'
import type { TaskIO } from '../io/embedded.ts'
import type { BadRecord, SinkWriter, SourceBatch, SourceReader } from '../io/io.ts'
import type { StreamRecord } from '../model/record.ts'
import { MAX_WATERMARK } from '../model/record.ts'
import { LocalGraph } from '../plan/local-graph.ts'
import type { Plan, PlanNode } from '../plan/plan.ts'
import type { Plain } from '../serde/plain.ts'
import { type Checkpoint, type CheckpointStorage, CheckpointStore, pipelineDir } from './checkpoints.ts'
import type { Job } from './job.ts'
import { validPipelineName } from './job.ts'

/** Records a task may produce while a checkpoint completes before it waits for the checkpoint. */
const MAX_HELD_RECORDS = 50_000

/** The sinks key under which the dead-letter writer's prepared state is checkpointed. */
export const DEAD_LETTERS = '$dead-letters'

export type TaskState = 'starting' | 'running' | 'stopping' | 'finished' | 'stopped' | 'failed'

export interface TaskStats {
  state: TaskState
  /** Records read (including bad ones), written to sinks, skipped as bad, sent to the dead-letter topic.
   * Counted since the pipeline first started, as of the last checkpoint plus this run's progress. */
  recordsIn: number
  recordsOut: number
  skipped: number
  deadLettered: number
  /** Checkpoints this run has taken. */
  checkpoints: number
  lastCheckpoint: { id: number; time: number; durationMs: number } | null
}

/** Counters before anything happened. */
export function zeroStats(state: TaskState): TaskStats {
  return {
    state,
    recordsIn: 0,
    recordsOut: 0,
    skipped: 0,
    deadLettered: 0,
    checkpoints: 0,
    lastCheckpoint: null,
  }
}

export interface PipelineTaskOptions {
  io: TaskIO
  /** The data directory: checkpoints go to `<dataDir>/pipelines/<name>/checkpoints`. */
  dataDir: string
  /** Processing time (and checkpoint timing). Default: the system clock. */
  clock?: Clock
  /** Longest wait while every source is dry; processing-time timers fire at least this often. Default 100 ms. */
  idleWaitMs?: number
  /** Where checkpoints go. Default: files under `dataDir` (see above). */
  checkpoints?: CheckpointStorage
  /**
   * When to checkpoint, for a task that is one of several checkpointing together (engine/parallel):
   * instead of every `checkpointEvery`, whenever the trigger says so. Default: the clock.
   */
  trigger?: CheckpointTrigger
}

/** Decides when a task of a parallel run checkpoints (barriers, a coordinator's requests). */
export interface CheckpointTrigger {
  /** Whether checkpoint `id` may be taken now; polled between batches. */
  due(id: number): boolean
  /** Whether the run ends with checkpoint `id` (the task then stops). */
  last(id: number): boolean
  /** Resolves when due() may have changed, or when `signal` aborts. */
  changed(signal: AbortSignal): Promise<void>
  /** The task waits for checkpoint `id` and reads nothing meanwhile (starting, or input exhausted). */
  request?(id: number): void
}

interface SourceSlot {
  id: string
  reader: SourceReader
  done: boolean
}

const log = childLogger('pipeline')

function invalid(message: string): never {
  throw new RiffleError('INVALID_ARGUMENT', message)
}

export class PipelineTask {
  readonly job: Job
  readonly stats: TaskStats = zeroStats('starting')
  readonly checkpoints: CheckpointStorage
  private readonly clock: Clock
  private readonly idleWaitMs: number
  private readonly trigger: CheckpointTrigger | null
  private readonly graph: LocalGraph
  private readonly sources: SourceSlot[] = []
  private readonly sinks = new Map<string, SinkWriter>()
  private readonly deadLetters: SinkWriter | null
  /** The sinks and the dead-letter writer, once built. */
  private writerList: SinkWriter[] | null = null
  /** The id of the last checkpoint taken (durable, or being written: `completing`). */
  private lastId = 0
  /**
   * The checkpoint being written, and then committed: the task goes on meanwhile (its writes wait
   * in `held`, since they belong to the next checkpoint's output, which may begin only once this
   * one's commit is done). Null when none is.
   */
  private completing: Promise<void> | null = null
  private held: (() => void)[] | null = null
  private heldRecords = 0
  private failure: unknown = null
  private stopping = false
  private killed = false
  private wake: AbortController | null = null
  private running: Promise<'finished' | 'stopped'> | null = null

  constructor(job: Job, options: PipelineTaskOptions) {
    if (!validPipelineName(job.name))
      invalid(
        `invalid pipeline name '${job.name}': use 1 to 200 characters from a-z, A-Z, 0-9, '.', '_' and '-'`,
      )
    this.job = job
    this.clock = options.clock ?? systemClock
    this.idleWaitMs = options.idleWaitMs ?? 100
    this.trigger = options.trigger ?? null
    const nodes = new Map(job.plan.nodes.map((n) => [n.id, n]))
    for (const id of Object.keys(job.sources))
      if (nodes.get(id)?.operator !== 'source') invalid(`source '${id}' is not a source node of the plan`)
    for (const n of job.plan.nodes)
      if (n.operator === 'source' && !(n.id in job.sources)) invalid(`source node '${n.id}' has no connector`)
    for (const id of Object.keys(job.sinks)) {
      if (!nodes.has(id)) invalid(`sink '${id}' is not a node of the plan`)
      if (job.plan.edges.some((e) => e.from === id)) invalid(`sink '${id}' must be a terminal node`)
    }
    if (Object.keys(job.sources).length === 0)
      invalid(`pipeline '${job.name}' reads nothing: start it with from()`)
    if (Object.keys(job.sinks).length === 0)
      invalid(`pipeline '${job.name}' writes nowhere: add a sink with .to()`)
    this.checkpoints =
      options.checkpoints ??
      new CheckpointStore(
        `${pipelineDir(options.dataDir, job.name)}/checkpoints`,
        job.options.keepCheckpoints,
      )
    for (const [id, spec] of Object.entries(job.sources))
      this.sources.push({ id, reader: options.io.openSource(spec), done: false })
    for (const [id, spec] of Object.entries(job.sinks)) this.sinks.set(id, options.io.openSink(spec))
    const policy = job.options.onBadRecord
    this.deadLetters = typeof policy === 'object' ? options.io.openDeadLetters(policy.deadLetter) : null
    // Source nodes get one input channel per partition of what they read.
    const partitions = new Map(this.sources.map((s) => [s.id, s.reader.partitions]))
    const plan: Plan = {
      nodes: job.plan.nodes.map(
        (n): PlanNode =>
          n.operator === 'source' ? { ...n, config: { ...n.config, partitions: partitions.get(n.id)! } } : n,
      ),
      edges: job.plan.edges,
    }
    this.graph = new LocalGraph(plan, {
      clock: this.clock,
      sink: (out) => {
        const writer = this.sinks.get(out.node)
        if (!writer) return
        const hold = this.held !== null && !writer.immediate
        if (out.kind === 'watermark') {
          const w = out.watermark
          if (hold) this.held!.push(() => writer.watermark?.(w))
          else writer.watermark?.(w)
        } else if (out.kind === 'idle') {
          if (hold) this.held!.push(() => writer.idle?.())
          else writer.idle?.()
        } else if (out.tag === undefined) {
          this.stats.recordsOut += out.records.length
          this.write(writer, out.records)
        }
      },
    })
  }

  /** Runs until the bounded input is exhausted ('finished') or stop() ('stopped'). */
  run(): Promise<'finished' | 'stopped'> {
    this.running ??= this.loop()
    return this.running
  }

  /** Ends the run after the current step, with a final checkpoint. */
  stop(): void {
    this.stopping = true
    if (this.stats.state === 'running') this.stats.state = 'stopping'
    this.wake?.abort()
  }

  /**
   * Abandons the run after the current step without a checkpoint or commit, as a crash would (the
   * output since the last checkpoint stays uncommitted). For tests.
   */
  kill(): void {
    this.killed = true
    this.stop()
  }

  private async loop(): Promise<'finished' | 'stopped'> {
    try {
      if (await this.restore()) {
        this.stats.state = 'finished'
        return 'finished'
      }
      // The first checkpoint comes before any input is read: it records where the sinks stand.
      await this.untilDue()
      await this.checkpoint(false)
      await this.completing
      if (this.trigger?.last(this.lastId)) return this.halted()
      this.stats.state = this.stopping ? 'stopping' : 'running'
      const every = this.job.options.checkpointEvery
      let nextCheckpoint = this.clock.now() + every
      while (!this.stopping) {
        let progressed = false
        for (const s of this.sources) {
          if (s.done || this.stopping) continue
          const max = this.job.options.maxBatchRecords
          if (s.reader.pollValues !== undefined) {
            const batch = await s.reader.pollValues(max)
            if (batch) {
              progressed = true
              this.stats.recordsIn += batch.length
              this.graph.pushValues(s.id, batch)
            }
          } else {
            const batch = await s.reader.poll(max)
            if (batch) {
              progressed = true
              this.deliver(s, batch)
            }
          }
          if (s.reader.finished) {
            // End of this source's input: its maximum watermark fires every window it feeds.
            s.done = true
            progressed = true
            this.graph.watermark(s.id, MAX_WATERMARK)
          }
        }
        this.graph.advanceProcessingTime()
        await this.flushWriters()
        if (this.failure) throw this.failure
        // Output waiting for a checkpoint's commit is bounded: past it, the task waits too.
        if (this.heldRecords > MAX_HELD_RECORDS) await this.completing
        if (this.sources.every((s) => s.done)) {
          await this.untilDue()
          await this.checkpoint(true)
          await this.completing
          if (this.failure) throw this.failure
          this.stats.state = 'finished'
          return 'finished'
        }
        // One checkpoint at a time: one that falls due while the last is completing waits for it.
        const due = this.trigger ? this.trigger.due(this.lastId + 1) : this.clock.now() >= nextCheckpoint
        if (due && !this.completing) {
          await this.checkpoint(false)
          if (this.trigger?.last(this.lastId)) {
            await this.completing
            return this.halted()
          }
          nextCheckpoint = this.clock.now() + every
        }
        if (!progressed && !this.stopping)
          await this.waitForData(Math.max(1, Math.min(this.idleWaitMs, nextCheckpoint - this.clock.now())))
      }
      if (!this.killed) {
        await this.untilDue()
        await this.checkpoint(false)
      }
      await this.completing
      if (this.failure) throw this.failure
      return this.halted()
    } catch (e) {
      this.stats.state = 'failed'
      throw e
    } finally {
      // A checkpoint under way completes (or fails) before the writers close.
      await this.completing
      await this.close()
    }
  }

  private halted(): 'stopped' {
    this.stats.state = 'stopped'
    return 'stopped'
  }

  /** With a trigger: waits until the next checkpoint may be taken (or a kill). */
  private async untilDue(): Promise<void> {
    const trigger = this.trigger
    if (trigger && !trigger.due(this.lastId + 1)) trigger.request?.(this.lastId + 1)
    while (trigger && !this.killed && !trigger.due(this.lastId + 1)) {
      const wake = new AbortController()
      this.wake = wake
      try {
        await trigger.changed(wake.signal)
      } finally {
        wake.abort()
        this.wake = null
      }
    }
  }

  /** Every poll: one await for the usual single sink, no arrays or closures for it. */
  private flushWriters(): Promise<unknown> {
    const writers = (this.writerList ??= [...this.writers()])
    return writers.length === 1 ? writers[0]!.flush() : Promise.all(writers.map((w) => w.flush()))
  }

  private *writers(): Iterable<SinkWriter> {
    yield* this.sinks.values()
    if (this.deadLetters) yield this.deadLetters
  }

  /** Loads the latest checkpoint into sources, sinks and graph; true if it says the job is finished. */
  private async restore(): Promise<boolean> {
    const cp = await this.checkpoints.load()
    for (const s of this.sources) {
      const position = cp?.sources[s.id]
      if (position !== undefined) s.reader.restore(position)
      else if (cp)
        log.warn({ pipeline: this.job.name, source: s.id }, 'source not in the checkpoint: starts afresh')
    }
    for (const [id, w] of this.sinks) await w.recover(cp?.sinks[id])
    await this.deadLetters?.recover(cp?.sinks[DEAD_LETTERS])
    if (!cp) return false
    try {
      this.graph.restore(cp.graph)
    } catch (e) {
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `checkpoint ${cp.id} of pipeline '${this.job.name}' does not fit this pipeline (${(e as Error).message}): ` +
          `its operators changed. Keep node names stable with .named(), or delete ${this.checkpoints.where} to start over`,
        { cause: e },
      )
    }
    this.lastId = cp.id
    Object.assign(this.stats, cp.stats)
    log.info(
      { pipeline: this.job.name, checkpoint: cp.id, finished: cp.finished },
      'restored the latest checkpoint',
    )
    return cp.finished
  }

  private deliver(s: SourceSlot, batch: SourceBatch): void {
    this.stats.recordsIn += batch.records.length + batch.bad.length
    if (batch.bad.length > 0) this.badRecords(s, batch.bad)
    if (batch.records.length > 0) this.graph.push(s.id, batch.records, batch.partition)
    if (batch.marks)
      for (const m of batch.marks)
        if ('idle' in m) this.graph.markIdle(s.id, m.channel)
        else this.graph.watermark(s.id, m.watermark, m.channel)
  }

  private badRecords(s: SourceSlot, bad: readonly BadRecord[]): void {
    const policy = this.job.options.onBadRecord
    if (policy === 'fail') {
      const b = bad[0]!
      throw new RiffleError(
        'INVALID_RECORD',
        `${s.reader.describe()}: ${b.error.message} (the pipeline's onBadRecord is 'fail'; use 'skip' or a deadLetter topic to go on)`,
        { cause: b.error },
      )
    }
    if (policy === 'skip') {
      this.stats.skipped += bad.length
      log.debug(
        { pipeline: this.job.name, source: s.id, count: bad.length, error: bad[0]!.error.message },
        'skipped bad records',
      )
      return
    }
    this.write(
      this.deadLetters!,
      bad.map((b) => ({
        timestamp: b.timestamp,
        value: {
          key: b.key,
          value: b.value,
          timestamp: b.timestamp,
          headers: [
            { key: 'riffle.error', value: b.error.message },
            { key: 'riffle.pipeline', value: this.job.name },
            { key: 'riffle.source', value: s.reader.describe() },
            { key: 'riffle.partition', value: String(b.partition) },
            { key: 'riffle.offset', value: String(b.offset) },
          ],
        },
      })),
    )
    this.stats.deadLettered += bad.length
  }

  /** Hands records to a writer, or holds them while a checkpoint completes (`completing`). */
  private write(writer: SinkWriter, records: readonly StreamRecord[]): void {
    if (!this.held || writer.immediate) {
      writer.write(records)
      return
    }
    // A copy: the graph may reuse its output array once this returns.
    const copy = records.slice()
    this.held.push(() => writer.write(copy))
    this.heldRecords += copy.length
  }

  /**
   * Takes a checkpoint: the sinks prepare (everything written so far durable), then the state and
   * positions are snapshotted, and the checkpoint is written and committed (`completing`) while the
   * task goes on; the next checkpoint waits for it.
   */
  private async checkpoint(finished: boolean): Promise<void> {
    await this.completing
    if (this.failure) throw this.failure
    const started = this.clock.now()
    const sinks: Record<string, Plain> = {}
    await Promise.all(
      [...this.sinks].map(async ([id, w]) => {
        sinks[id] = await w.prepare()
      }),
    )
    if (this.deadLetters) sinks[DEAD_LETTERS] = await this.deadLetters.prepare()
    const sources: Record<string, Plain> = {}
    for (const s of this.sources) sources[s.id] = s.reader.position()
    const { recordsIn, recordsOut, skipped, deadLettered } = this.stats
    const cp: Checkpoint = {
      version: 1,
      id: this.lastId + 1,
      pipeline: this.job.name,
      time: Date.now(),
      finished,
      sources,
      sinks,
      graph: this.graph.snapshot(),
      stats: { recordsIn, recordsOut, skipped, deadLettered },
    }
    this.lastId = cp.id
    this.held = []
    this.completing = this.complete(cp, started).then(
      () => this.release(),
      (e: unknown) => {
        this.failure = e
        this.release()
      },
    )
  }

  private async complete(cp: Checkpoint, started: number): Promise<void> {
    await this.checkpoints.write(cp)
    // Phase two: only now may the output of this checkpoint become visible.
    await Promise.all([...this.writers()].map((w) => w.commit()))
    this.stats.checkpoints++
    this.stats.lastCheckpoint = { id: cp.id, time: cp.time, durationMs: this.clock.now() - started }
    log.debug({ pipeline: this.job.name, checkpoint: cp.id, finished: cp.finished }, 'checkpoint complete')
  }

  /** The checkpoint is complete: what the task wrote meanwhile goes to the writers, in order. */
  private release(): void {
    const held = this.held ?? []
    this.held = null
    this.heldRecords = 0
    this.completing = null
    if (this.failure) return
    for (const action of held) action()
  }

  private async waitForData(ms: number): Promise<void> {
    const wake = new AbortController()
    this.wake = wake
    const timer = setTimeout(() => wake.abort(), ms)
    try {
      const waits = this.sources.filter((s) => !s.done).map((s) => s.reader.waitForData(wake.signal))
      if (this.trigger) waits.push(this.trigger.changed(wake.signal))
      if (this.completing) waits.push(this.completing)
      await Promise.race(waits)
    } finally {
      clearTimeout(timer)
      wake.abort()
      this.wake = null
    }
  }

  private async close(): Promise<void> {
    await Promise.allSettled([
      ...this.sources.map((s) => s.reader.close()),
      ...[...this.writers()].map((w) => w.close()),
    ])
  }
}
