// A job run on several cores of one process: `parallelism` worker threads, each running task t of
// every stage (plan.ts), with in-memory exchanges between them (channel.ts), while this thread keeps
// the data directory: it serves the tasks' topic reads and writes (io/remote LogHost) and
// coordinates checkpoints.
//
// Checkpoints: every `checkpointEvery` the coordinator asks for checkpoint n; the tasks that read
// sources take it at once, send barrier n down their exchanges and post their part; downstream tasks
// take it once barrier n came in on every channel (aligned). When every part is in, the whole is
// written as one checkpoint (CheckpointStore: incremental, durable), and only then may the tasks
// commit what their sinks prepared for it (two-phase commit, as for one task). A task whose input
// ended keeps its last part in later checkpoints. A restart restores each task from its part; the
// parallelism must be the one the checkpoint was taken with.
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads'
import { RiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import { type Clock, systemClock } from '../../core/time.ts'
import type { LogStore } from '../../log/store.ts'
import { LogHost } from '../io/remote/log-host.ts'
import { type Checkpoint, CheckpointStore, pipelineDir } from '../runtime/checkpoints.ts'
import type { Job } from '../runtime/job.ts'
import { type TaskStats, zeroStats } from '../runtime/task.ts'
import type { Plain } from '../serde/plain.ts'
import { type ParallelPlan, parallelPlan } from './plan.ts'
import type { ChannelEnd, FromWorker, ToWorker, WorkerStart } from './protocol.ts'

export interface ParallelRunOptions {
  /** The module whose default export is the pipeline (each worker thread imports and compiles it). */
  module: string
  /** The same pipeline compiled here. */
  job: Job
  store: LogStore
  dataDir: string
  parallelism: number
  /** Producer ids for exactly-once topic sinks (the transaction coordinator's). */
  producerIds?: () => Promise<bigint>
  clock?: Clock
}

/** What the run's checkpoints hold as their graph: every task's own checkpoint. */
interface Parts {
  parallelism: number
  tasks: Record<string, Checkpoint>
}

const log = childLogger('pipeline')

/**
 * The parallelism the newest checkpoint in `dir` was taken with: 1 for one task's, null if there
 * is none (a restart then keeps what the pipeline ran with).
 */
export function checkpointParallelism(dir: string, keep: number): number | null {
  // The manifest says it: the state in the packs need not be read twice at start-up.
  const cp = new CheckpointStore(dir, keep).outline()
  if (!cp) return null
  const parallelism = (cp.graph as unknown as Partial<Parts> | null)?.parallelism
  return typeof parallelism === 'number' ? parallelism : 1
}

export class ParallelRun {
  readonly plan: ParallelPlan
  readonly job: Job
  readonly checkpoints: CheckpointStore
  private readonly o: ParallelRunOptions
  private readonly clock: Clock
  private readonly host: LogHost
  private readonly workers: Worker[] = []
  private readonly taskStats = new Map<string, TaskStats>()
  private readonly parts = new Map<number, Map<string, Checkpoint>>()
  /** Each task's newest part in a durable checkpoint. */
  private readonly durableParts = new Map<string, Checkpoint>()
  private readonly ended = new Map<string, 'finished' | 'stopped'>()
  private lastId = 0
  private requested = 0
  /** The highest checkpoint a task waits for. */
  private wanted = 0
  private stopping = false
  private writing: Promise<void> = Promise.resolve()
  private timer: NodeJS.Timeout | null = null
  private outcome: { resolve(o: 'finished' | 'stopped'): void; reject(e: unknown): void } | null = null
  private running: Promise<'finished' | 'stopped'> | null = null
  private lastCheckpoint: TaskStats['lastCheckpoint'] = null
  private checkpointCount = 0
  private failed = false

  constructor(o: ParallelRunOptions) {
    this.o = o
    this.job = o.job
    this.clock = o.clock ?? systemClock
    const partitions: Record<string, number> = {}
    const ensure = (topic: string, count: number | undefined): void => {
      const t = o.store.topic(topic) ?? o.store.createTopic(topic, count ?? 1)
      partitions[topic] = t.partitions.length
    }
    for (const s of Object.values(o.job.sources)) if (s.kind === 'topic') ensure(s.topic, s.partitions)
    for (const s of Object.values(o.job.sinks)) if (s.kind === 'topic') ensure(s.topic, s.partitions)
    const policy = o.job.options.onBadRecord
    if (typeof policy === 'object') ensure(policy.deadLetter, undefined)
    this.plan = parallelPlan(o.job, o.parallelism, (topic) => partitions[topic] ?? 1)
    this.checkpoints = new CheckpointStore(
      `${pipelineDir(o.dataDir, o.job.name)}/checkpoints`,
      o.job.options.keepCheckpoints,
    )
    const restored = this.restore()
    this.host = new LogHost({
      store: o.store,
      guarantee: o.job.options.guarantee,
      producerIds: o.producerIds,
    })
    for (const t of this.plan.tasks)
      this.taskStats.set(
        t.id,
        restored[t.id]?.stats
          ? { ...zeroStats('starting'), ...restored[t.id]!.stats }
          : zeroStats('starting'),
      )
    this.start(partitions, restored)
  }

  /** The newest checkpoint's parts by task, checked against this plan. */
  private restore(): Record<string, Checkpoint | null> {
    const cp = this.checkpoints.latest()
    const out: Record<string, Checkpoint | null> = {}
    for (const t of this.plan.tasks) out[t.id] = null
    if (!cp) return out
    const parts = cp.graph as unknown as Parts
    const fits =
      parts !== null &&
      typeof parts === 'object' &&
      parts.parallelism === this.plan.parallelism &&
      this.plan.tasks.every((t) => parts.tasks?.[t.id] !== undefined)
    if (!fits) {
      const was =
        typeof parts?.parallelism === 'number' ? `parallelism ${parts.parallelism}` : 'a single task'
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `checkpoint ${cp.id} of pipeline '${this.job.name}' was taken with ${was}, and this run has ` +
          `parallelism ${this.plan.parallelism} with other tasks: run it as before, or delete ` +
          `${this.checkpoints.where} to start over`,
      )
    }
    this.lastId = cp.id
    this.requested = cp.id
    for (const t of this.plan.tasks) {
      out[t.id] = parts.tasks[t.id]!
      this.durableParts.set(t.id, parts.tasks[t.id]!)
    }
    log.info(
      { pipeline: this.job.name, checkpoint: cp.id, finished: cp.finished },
      'restored the latest checkpoint',
    )
    return out
  }

  private start(partitions: Record<string, number>, restored: Record<string, Checkpoint | null>): void {
    const p = this.plan.parallelism
    const ends: ChannelEnd[][] = Array.from({ length: p }, () => [])
    for (const x of this.plan.exchanges)
      for (let writer = 0; writer < p; writer++)
        for (let reader = 0; reader < p; reader++) {
          // Task t of both stages share a thread, which joins them with a local channel itself.
          if (reader === writer) continue
          const { port1, port2 } = new MessageChannel()
          ends[writer]!.push({ exchange: x.name, role: 'writer', peer: reader, port: port1 })
          ends[reader]!.push({ exchange: x.name, role: 'reader', peer: writer, port: port2 })
        }
    for (let index = 0; index < p; index++) {
      const { port1, port2 } = new MessageChannel()
      this.host.serve(port1)
      const mine = this.plan.tasks.filter((t) => t.index === index).map((t) => t.id)
      const start: WorkerStart = {
        module: this.o.module.startsWith('file:')
          ? this.o.module
          : pathToFileURL(path.resolve(this.o.module)).href,
        index,
        parallelism: p,
        dataDir: this.o.dataDir,
        partitions,
        log: port2,
        channels: ends[index]!,
        restore: Object.fromEntries(mine.map((id) => [id, restored[id] ?? null])),
      }
      const transfer: MessagePort[] = [port2, ...ends[index]!.map((e) => e.port)]
      const worker = new Worker(new URL('./worker.ts', import.meta.url), {
        workerData: start,
        transferList: transfer,
      })
      worker.on('message', (m: FromWorker) => this.onMessage(m))
      worker.on('error', (e) => this.fail(e))
      worker.on('exit', (code) => {
        if (code !== 0 && !this.failed && this.ended.size < this.plan.tasks.length)
          this.fail(new Error(`worker ${index} exited with code ${code}`))
      })
      this.workers.push(worker)
    }
  }

  /** Records in (tasks reading sources) and out (tasks writing sinks), checkpoints of the run. */
  get stats(): TaskStats {
    const sum = zeroStats(this.state())
    const readsExchange = (stage: string): boolean => this.plan.exchanges.some((x) => x.to === stage)
    const writesExchange = (stage: string): boolean => this.plan.exchanges.some((x) => x.from === stage)
    for (const t of this.plan.tasks) {
      const s = this.taskStats.get(t.id)!
      if (!readsExchange(t.stage)) sum.recordsIn += s.recordsIn
      if (!writesExchange(t.stage)) sum.recordsOut += s.recordsOut
      sum.skipped += s.skipped
      sum.deadLettered += s.deadLettered
    }
    sum.checkpoints = this.checkpointCount
    sum.lastCheckpoint = this.lastCheckpoint
    return sum
  }

  private state(): TaskStats['state'] {
    if (this.failed) return 'failed'
    if (this.ended.size === this.plan.tasks.length)
      return [...this.ended.values()].every((o) => o === 'finished') ? 'finished' : 'stopped'
    if (this.stopping) return 'stopping'
    return this.lastId > 0 ? 'running' : 'starting'
  }

  run(): Promise<'finished' | 'stopped'> {
    this.running ??= new Promise<'finished' | 'stopped'>((resolve, reject) => {
      this.outcome = { resolve, reject }
      // The first checkpoint, before any input is read, then one every checkpointEvery.
      this.request()
      this.timer = setInterval(() => this.request(), this.job.options.checkpointEvery)
    }).finally(() => this.close())
    return this.running
  }

  /** Ends the run with a checkpoint: every task stops right after it. */
  stop(): void {
    this.stopping = true
    this.request()
  }

  /** Terminates the workers at once, without a checkpoint, as a crash would. For tests. */
  async kill(): Promise<void> {
    this.failed = true
    await Promise.all(this.workers.map((w) => w.terminate()))
    this.outcome?.resolve('stopped')
  }

  /** Asks for the next checkpoint unless one is under way. */
  private request(): void {
    if (this.requested > this.lastId || this.failed) return
    this.requested = this.lastId + 1
    this.broadcast({ t: 'checkpoint', id: this.requested, last: this.stopping })
  }

  private broadcast(m: ToWorker): void {
    for (const w of this.workers) w.postMessage(m)
  }

  private onMessage(m: FromWorker): void {
    switch (m.t) {
      case 'snapshot':
        this.onPart(m.task, m.checkpoint)
        break
      case 'want':
        // Asked for now, or as soon as the checkpoint under way is durable (write()).
        this.wanted = Math.max(this.wanted, m.id)
        this.request()
        break
      case 'stats':
        for (const [id, s] of m.tasks) this.taskStats.set(id, s)
        break
      case 'ended':
        this.ended.set(m.task, m.outcome)
        if (this.ended.size === this.plan.tasks.length)
          this.outcome?.resolve(this.state() === 'finished' ? 'finished' : 'stopped')
        break
      case 'failed':
        this.fail(new Error(m.message))
        break
    }
  }

  private onPart(task: string, part: Checkpoint): void {
    let parts = this.parts.get(part.id)
    if (!parts) this.parts.set(part.id, (parts = new Map()))
    parts.set(task, part)
    this.tryComplete(part.id)
  }

  /**
   * Writes checkpoint `id` once the one before it is durable and a part is in from every task not
   * finished in an earlier checkpoint (tasks whose input ended may send the next part early).
   */
  private tryComplete(id: number): void {
    const parts = this.parts.get(id)
    if (!parts || id !== this.lastId + 1) return
    if (!this.plan.tasks.every((t) => parts.has(t.id) || this.durableParts.get(t.id)?.finished)) return
    this.parts.delete(id)
    this.writing = this.writing.then(() => this.write(id, parts)).catch((e) => this.fail(e))
  }

  private async write(id: number, parts: Map<string, Checkpoint>): Promise<void> {
    const started = this.clock.now()
    const tasks: Record<string, Checkpoint> = {}
    for (const t of this.plan.tasks) tasks[t.id] = parts.get(t.id) ?? this.durableParts.get(t.id)!
    const all = Object.values(tasks)
    const cp: Checkpoint = {
      version: 1,
      id,
      pipeline: this.job.name,
      time: Date.now(),
      finished: all.every((c) => c.finished),
      sources: {},
      sinks: {},
      graph: { parallelism: this.plan.parallelism, tasks } as unknown as Plain,
      stats: this.stats,
    }
    await this.checkpoints.write(cp)
    for (const [task, c] of Object.entries(tasks)) this.durableParts.set(task, c)
    this.lastId = id
    this.checkpointCount++
    this.lastCheckpoint = { id, time: cp.time, durationMs: this.clock.now() - started }
    this.broadcast({ t: 'durable', id })
    this.tryComplete(id + 1)
    // A stop, or a task waiting for the next checkpoint (its input ended), asks at once.
    if ((this.stopping || this.wanted > id) && this.requested === id) this.request()
  }

  private fail(e: unknown): void {
    if (this.failed) return
    this.failed = true
    log.error({ pipeline: this.job.name, err: e }, 'a worker of the parallel run failed')
    for (const w of this.workers) void w.terminate()
    this.outcome?.reject(e)
  }

  private async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    await Promise.allSettled(this.workers.map((w) => w.terminate()))
    await this.host.close()
  }
}
