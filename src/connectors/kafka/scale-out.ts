// A pipeline run as one member of a Kafka consumer group, so that any number of processes running
// the same pipeline against one cluster share its work, and a process that dies has its work taken
// over (Kafka Streams' model; Kafka does the coordination, Riffle builds no consensus of its own).
//
// The job is split into stages at its keyBys (engine/runtime/stages.ts); task p of a stage reads
// partition p of the stage's input topics. Tasks are the unit of work: each stage has a state topic
// with one partition per task, the group assigns those partitions to members (the classic protocol
// with its round-robin assignor), and holding partition p of a stage's state topic means running
// task p of that stage. A task is a PipelineTask like any other, with its checkpoints in its
// state-topic partition (StateTopicCheckpoints) and, exactly once, its own transaction
// (TaskTransaction): whoever takes a task over fences the previous holder, then restores the last
// committed checkpoint, state and positions together.
//
// When the assignment changes, tasks no longer assigned stop (with a final checkpoint, which the new
// holder's fencing may pre-empt: either way the state it restores is consistent) and newly assigned
// ones start. Bounded input: a member leaves once every task it holds has finished; the tasks it
// held move to the others, which find them finished, so the last member to leave has seen them all.
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import { RiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import type { Clock } from '../../core/time.ts'
import { taskIO } from '../../engine/io/task-io.ts'
import type { Job } from '../../engine/runtime/job.ts'
import { type StagedJob, splitStages, stateTopic, taskJob } from '../../engine/runtime/stages.ts'
import { PipelineTask, type TaskStats, zeroStats } from '../../engine/runtime/task.ts'
import { KafkaSinkWriter } from './sink.ts'
import { KafkaSourceReader, type TopicInfo, describeTopics } from './source.ts'
import { StateTopicCheckpoints } from './state-checkpoints.ts'
import { TaskTransaction } from './task-transaction.ts'

const log = childLogger('pipeline')
const EARLIEST = -2n
const LATEST = -1n
const READ_COMMITTED = 1
/** Group timings: a member that dies is noticed after SESSION_MS, and its tasks move. */
const SESSION_MS = 10_000
const HEARTBEAT_MS = 1_000
const REBALANCE_MS = 15_000
const START_OVER = "delete the pipeline's riffle-* topics to start it over"
/** A fenced task is retried after this long if the group still assigns it here. */
const FENCED_RETRY_MS = 3_000

export interface ScaleOutOptions {
  /** host:port[,host:port…] of the cluster. */
  bootstrap: string
  job: Job
  clock: Clock
  /** Unused by tasks (their checkpoints are in state topics); kept for PipelineTask's defaults. */
  dataDir: string
  /** Partitions of exchange topics (tasks per stage after a keyBy); default: the most partitions
   * of any source topic. */
  exchangePartitions?: number
  clientId?: string
  /** Names this member in its stderr lines when one process runs several (worker threads). */
  label?: string
}

type AnyConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>
type AnyProducer = Producer<Buffer, Buffer, Buffer, Buffer>

interface HeldTask {
  key: string
  task: PipelineTask
  outcome: 'running' | 'finished' | 'stopped' | 'failed'
  done: Promise<void>
}

export class ScaledOutRun {
  readonly job: Job
  readonly staged: StagedJob
  private readonly o: ScaleOutOptions
  private readonly bootstrap: string[]
  private readonly clientId: string
  private readonly admin: Admin
  private readonly fetcher: AnyConsumer
  private readonly member: AnyConsumer
  private readonly producer: AnyProducer
  private readonly infos: Map<string, TopicInfo>
  private readonly held = new Map<string, HeldTask>()
  /** Finished tasks this member has seen (they stay finished wherever they go next). */
  private readonly finishedStats = new Map<string, TaskStats>()
  private assigned = new Set<string>()
  private stopping = false
  private failure: unknown = null
  private wake: (() => void) | null = null
  private reconciling: Promise<void> = Promise.resolve()
  private running: Promise<'finished' | 'stopped'> | null = null
  private ended: 'finished' | 'stopped' | 'failed' | null = null

  private constructor(
    o: ScaleOutOptions,
    clients: { admin: Admin; fetcher: AnyConsumer; member: AnyConsumer; producer: AnyProducer },
    staged: StagedJob,
    infos: Map<string, TopicInfo>,
  ) {
    this.o = o
    this.job = o.job
    this.staged = staged
    this.bootstrap = o.bootstrap.split(',').map((s) => s.trim())
    this.clientId = o.clientId ?? `riffle-pipeline-${o.job.name}`
    this.admin = clients.admin
    this.fetcher = clients.fetcher
    this.member = clients.member
    this.producer = clients.producer
    this.infos = infos
  }

  /** Creates the topics the job needs (sources, sinks, exchanges, state), then returns a run to start. */
  static async connect(o: ScaleOutOptions): Promise<ScaledOutRun> {
    const { job } = o
    const bootstrapBrokers = o.bootstrap.split(',').map((s) => s.trim())
    const clientId = o.clientId ?? `riffle-pipeline-${job.name}`
    const groupId = `riffle-pipeline-${job.name}`
    const admin = new Admin({ clientId, bootstrapBrokers })
    const fetcher: AnyConsumer = new Consumer({ clientId, bootstrapBrokers, groupId: `${groupId}-fetch` })
    const member: AnyConsumer = new Consumer({
      clientId,
      bootstrapBrokers,
      groupId,
      sessionTimeout: SESSION_MS,
      heartbeatInterval: HEARTBEAT_MS,
      rebalanceTimeout: REBALANCE_MS,
    })
    // Exchange marks must follow the data before them: an idempotent producer keeps order on retries.
    const producer: AnyProducer = new Producer({ clientId, bootstrapBrokers, acks: -1, idempotent: true })
    const clients = { admin, fetcher, member, producer }
    try {
      // Topics the job names, created when missing (as the embedded log does).
      const wanted = new Map<string, { partitions: number; compact?: boolean }>()
      const want = (topic: string, partitions: number, compact?: boolean): void => {
        const had = wanted.get(topic)
        wanted.set(topic, { partitions: Math.max(had?.partitions ?? 0, partitions), compact })
      }
      for (const s of Object.values(job.sources)) if (s.kind === 'topic') want(s.topic, s.partitions ?? 1)
      for (const s of Object.values(job.sinks)) if (s.kind === 'topic') want(s.topic, s.partitions ?? 1)
      const dlq = typeof job.options.onBadRecord === 'object' ? job.options.onBadRecord.deadLetter : null
      if (dlq) want(dlq, 1)
      await createMissing(admin, wanted)
      const sourceTopics = [
        ...new Set(Object.values(job.sources).flatMap((s) => (s.kind === 'topic' ? [s.topic] : []))),
      ]
      const sourceMeta = sourceTopics.length > 0 ? await fetcher.metadata({ topics: sourceTopics }) : null
      const partitionsOf = (topic: string): number => sourceMeta?.topics.get(topic)?.partitionsCount ?? 1
      const staged = splitStages(job, { partitionsOf, exchangePartitions: o.exchangePartitions })
      const internal = new Map<string, { partitions: number; compact?: boolean }>()
      for (const x of staged.exchanges) internal.set(x.topic, { partitions: x.partitions })
      for (const s of staged.stages)
        internal.set(stateTopic(job.name, s.id), { partitions: s.parallelism, compact: true })
      await createMissing(admin, internal)
      const all = [...new Set([...wanted.keys(), ...internal.keys()])]
      const metadata = await fetcher.metadata({ topics: all })
      for (const [topic, want] of internal) {
        const have = metadata.topics.get(topic)?.partitionsCount ?? 0
        if (have !== want.partitions)
          throw new RiffleError(
            'INVALID_ARGUMENT',
            `topic ${topic} has ${have} partitions and pipeline '${job.name}' now needs ${want.partitions}, since its input topics changed: ${START_OVER}`,
          )
      }
      const infos = await describeTopics(fetcher, all, o.bootstrap)
      const readTopics = new Set<string>()
      for (const s of staged.stages)
        for (const spec of Object.values(s.job.sources)) if (spec.kind === 'topic') readTopics.add(spec.topic)
      for (const topic of readTopics) {
        const spec = staged.stages
          .flatMap((s) => Object.values(s.job.sources))
          .find((x) => x.kind === 'topic' && x.topic === topic)
        const committed = spec?.kind === 'topic' && spec.isolation === 'read_committed'
        const [earliest, latest] = await Promise.all([
          fetcher.listOffsets({ topics: [topic], timestamp: EARLIEST }),
          fetcher.listOffsets({
            topics: [topic],
            timestamp: LATEST,
            isolationLevel: committed ? READ_COMMITTED : 0,
          }),
        ])
        const info = infos.get(topic)!
        info.earliest = (earliest.get(topic) ?? []).map(Number)
        info.latest = (latest.get(topic) ?? []).map(Number)
      }
      return new ScaledOutRun(o, clients, staged, infos)
    } catch (e) {
      await Promise.allSettled([admin.close(), fetcher.close(true), member.close(true), producer.close()])
      throw e
    }
  }

  /** Each task's counters, for the tasks this member holds or has seen finish, by task key. */
  taskStats(): Map<string, TaskStats> {
    const all = new Map(this.finishedStats)
    for (const h of this.held.values()) all.set(h.key, h.task.stats)
    return all
  }

  /** Counters summed over the tasks this member holds or has seen finish. */
  get stats(): TaskStats {
    return sumTaskStats(this.ended ?? (this.stopping ? 'stopping' : 'running'), this.taskStats().values())
  }

  run(): Promise<'finished' | 'stopped'> {
    this.running ??= this.loop().then(
      (outcome) => {
        this.ended = outcome
        return outcome
      },
      (e: unknown) => {
        this.ended = 'failed'
        throw e
      },
    )
    return this.running
  }

  stop(): void {
    this.stopping = true
    this.wake?.()
  }

  private async loop(): Promise<'finished' | 'stopped'> {
    const onJoin = (payload: { assignments?: { topic: string; partitions: number[] }[] }): void => {
      this.assign(payload.assignments ?? [])
    }
    this.member.on('consumer:group:join', onJoin)
    try {
      for (const s of this.staged.stages) this.member.topics.track(stateTopic(this.job.name, s.id))
      await this.member.joinGroup({
        sessionTimeout: SESSION_MS,
        heartbeatInterval: HEARTBEAT_MS,
        rebalanceTimeout: REBALANCE_MS,
      })
      this.assign(this.member.assignments ?? [])
      for (;;) {
        if (this.failure) throw this.failure
        if (this.stopping) break
        const held = [...this.held.values()]
        if (held.length > 0 && held.every((h) => h.outcome === 'finished') && this.allAssignedHeld()) {
          await this.reconciling
          if ([...this.held.values()].every((h) => h.outcome === 'finished') && this.allAssignedHeld()) {
            log.info({ pipeline: this.job.name }, 'every task held here has finished; leaving the group')
            await this.shutdown()
            return 'finished'
          }
        }
        await new Promise<void>((resolve) => {
          this.wake = resolve
          setTimeout(resolve, 500)
        })
        this.wake = null
      }
      await this.shutdown()
      if (this.failure) throw this.failure
      return 'stopped'
    } catch (e) {
      await this.shutdown().catch(() => {})
      throw e
    } finally {
      this.member.off('consumer:group:join', onJoin)
    }
  }

  private allAssignedHeld(): boolean {
    for (const key of this.assigned) if (!this.held.has(key)) return false
    return true
  }

  /** The group's assignment (state-topic partitions) to the set of tasks held here. */
  private assign(assignments: readonly { topic: string; partitions: number[] }[]): void {
    const byTopic = new Map(this.staged.stages.map((s) => [stateTopic(this.job.name, s.id), s]))
    const next = new Set<string>()
    for (const a of assignments) {
      const stage = byTopic.get(a.topic)
      if (stage) for (const p of a.partitions) next.add(`${stage.id}/${p}`)
    }
    const changed = next.size !== this.assigned.size || [...next].some((k) => !this.assigned.has(k))
    this.assigned = next
    if (changed) {
      log.info({ pipeline: this.job.name, tasks: [...next].sort() }, 'tasks assigned to this member')
      process.stderr.write(
        `riffle run: ${this.job.name}${this.o.label ? ` [${this.o.label}]` : ''} holds ${next.size} task(s): ${[...next].sort().join(' ') || 'none'}\n`,
      )
    }
    this.reconciling = this.reconciling
      .then(() => this.reconcile())
      .catch((e) => {
        this.failure ??= e
        this.wake?.()
      })
  }

  private async reconcile(): Promise<void> {
    // Stop what moved away; a final checkpoint if the new holder has not fenced it already.
    const leaving = [...this.held.values()].filter((h) => !this.assigned.has(h.key))
    for (const h of leaving) h.task.stop()
    await Promise.all(leaving.map((h) => h.done))
    for (const h of leaving) this.held.delete(h.key)
    if (this.stopping) return
    for (const key of this.assigned) if (!this.held.has(key)) this.start(key)
    this.wake?.()
  }

  private start(key: string): void {
    const [stageId, index] = [key.slice(0, key.lastIndexOf('/')), Number(key.slice(key.lastIndexOf('/') + 1))]
    const stage = this.staged.stages.find((s) => s.id === stageId)!
    const partitionsOf = (topic: string): number => this.infos.get(topic)!.leaders.length
    const job = taskJob(stage, index, partitionsOf)
    const exactlyOnce = job.options.guarantee === 'exactly-once'
    const txn = exactlyOnce
      ? new TaskTransaction(this.bootstrap, this.clientId, `riffle-${this.job.name}-${stage.id}-${index}`)
      : null
    const to = txn ?? this.producer
    const io = taskIO(
      {
        source: (spec) => new KafkaSourceReader(this.fetcher, spec, this.infos.get(spec.topic)!),
        sink: (spec, encode) => new KafkaSinkWriter(to, spec, partitionsOf(spec.topic), encode),
      },
      { clock: this.o.clock, exactlyOnce },
    )
    const checkpoints = new StateTopicCheckpoints({
      consumer: this.fetcher,
      info: this.infos.get(stateTopic(this.job.name, stage.id))!,
      partition: index,
      output: txn ?? this.producer,
    })
    const task = new PipelineTask(job, { io, dataDir: this.o.dataDir, clock: this.o.clock, checkpoints })
    const held: HeldTask = { key, task, outcome: 'running', done: Promise.resolve() }
    held.done = task.run().then(
      (outcome) => {
        held.outcome = outcome
        if (outcome === 'finished') this.finishedStats.set(key, task.stats)
      },
      (e: unknown) => {
        held.outcome = 'failed'
        if (!this.assigned.has(key) || this.stopping || fenced(e)) {
          // Taken over by another member (it fenced this one): not a failure of the pipeline.
          log.info({ pipeline: this.job.name, task: key, err: e }, 'task taken over elsewhere')
          setTimeout(() => {
            if (this.held.get(key) === held) {
              this.held.delete(key)
              if (this.assigned.has(key) && !this.stopping) this.assign(this.member.assignments ?? [])
            }
          }, FENCED_RETRY_MS).unref()
        } else this.failure ??= e
      },
    )
    held.done = held.done.finally(async () => {
      await txn?.close()
      this.wake?.()
    })
    this.held.set(key, held)
  }

  private async shutdown(): Promise<void> {
    this.stopping = true
    await this.reconciling
    for (const h of this.held.values()) h.task.stop()
    await Promise.allSettled([...this.held.values()].map((h) => h.done))
    await new Promise<void>((resolve) => this.member.leaveGroup(false, () => resolve()))
    await Promise.allSettled([
      this.admin.close(),
      this.fetcher.close(true),
      this.member.close(true),
      this.producer.close(),
    ])
  }
}

/**
 * Counters of several tasks as one: sums, and the newest checkpoint. Each task's counts run from the
 * pipeline's first start (restored with its checkpoint), so a task must be counted once, by key.
 */
export function sumTaskStats(state: TaskStats['state'], tasks: Iterable<TaskStats>): TaskStats {
  const sum = zeroStats(state)
  for (const s of tasks) {
    sum.recordsIn += s.recordsIn
    sum.recordsOut += s.recordsOut
    sum.skipped += s.skipped
    sum.deadLettered += s.deadLettered
    sum.checkpoints += s.checkpoints
    if (s.lastCheckpoint && (!sum.lastCheckpoint || s.lastCheckpoint.time > sum.lastCheckpoint.time))
      sum.lastCheckpoint = s.lastCheckpoint
  }
  return sum
}

/**
 * Another member took the task: its transactional id was fenced. The client's errors are trees
 * (errors of retries, of partitions) whose nodes all carry `producerFenced` and `fencedInstanceId`
 * flags, so look at the flags and codes, not at the serialised tree, where /fenced/ always matches.
 */
function fenced(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false
  const err = e as { apiId?: unknown; producerFenced?: unknown; message?: unknown; errors?: unknown }
  if (
    err.producerFenced === true ||
    err.apiId === 'PRODUCER_FENCED' ||
    err.apiId === 'INVALID_PRODUCER_EPOCH'
  )
    return true
  if (typeof err.message === 'string' && /\bfenced\b/i.test(err.message)) return true
  return Array.isArray(err.errors) && err.errors.some(fenced)
}

async function createMissing(
  admin: Admin,
  wanted: Map<string, { partitions: number; compact?: boolean }>,
): Promise<void> {
  if (wanted.size === 0) return
  const existing = new Set(await admin.listTopics())
  for (const [topic, w] of wanted)
    if (!existing.has(topic))
      await admin
        .createTopics({
          topics: [topic],
          partitions: w.partitions,
          replicas: 1,
          configs: w.compact ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })
        // Another member starting at the same moment may have created it since the listing; the
        // partition counts are checked afterwards either way.
        .catch((e: unknown) => {
          if (!hasApiError(e, 'TOPIC_ALREADY_EXISTS')) throw e
        })
}

/** Whether the client error `e`, or any error inside it, carries Kafka error `apiId`. */
function hasApiError(e: unknown, apiId: string): boolean {
  if (typeof e !== 'object' || e === null) return false
  const err = e as { apiId?: unknown; errors?: unknown }
  return err.apiId === apiId || (Array.isArray(err.errors) && err.errors.some((x) => hasApiError(x, apiId)))
}
