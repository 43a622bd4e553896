// One worker thread of a parallel run: task `index` of every stage (plan.ts), each a PipelineTask
// whose topics go through the coordinator's LogHost (io/remote), whose exchanges are channels
// (channel.ts), and whose checkpoints are parts of the run's checkpoints: a task posts its snapshot
// to the coordinator, which writes the whole once every task's part is in and says it is durable.
import { parentPort, workerData } from 'node:worker_threads'
import { systemClock } from '../../core/time.ts'
import { remoteIO } from '../io/remote/remote-io.ts'
import type { TaskIO } from '../io/task-io.ts'
import type { Checkpoint, CheckpointStorage } from '../runtime/checkpoints.ts'
import type { Job } from '../runtime/job.ts'
import { type CheckpointTrigger, PipelineTask } from '../runtime/task.ts'
import {
  type ChannelPort,
  ChannelReader,
  ChannelWriter,
  type CheckpointCounter,
  localChannel,
} from './channel.ts'
import { parallelPlan } from './plan.ts'
import type { FromWorker, ToWorker, WorkerStart } from './protocol.ts'

const start = workerData as WorkerStart
const post = (m: FromWorker): void => parentPort!.postMessage(m)

/** When a task checkpoints: on the coordinator's request (if it reads sources) once every channel
 * it reads has delivered that checkpoint's barrier. */
class TaskTrigger implements CheckpointTrigger {
  requested = 0
  stopAt = Number.POSITIVE_INFINITY
  readonly readers: ChannelReader[] = []
  readsSources = false
  private waiters: (() => void)[] = []

  due(id: number): boolean {
    return (!this.readsSources || this.requested >= id) && this.readers.every((r) => r.alignedAt(id))
  }

  last(id: number): boolean {
    return id >= this.stopAt
  }

  request(id: number): void {
    post({ t: 'want', id })
  }

  changed(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done)
        // Gone from the list either way: a task waits anew every idle moment.
        const i = this.waiters.indexOf(done)
        if (i >= 0) this.waiters.splice(i, 1)
        resolve()
      }
      this.waiters.push(done)
      signal.addEventListener('abort', done)
    })
  }

  notify(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }
}

/** A task's checkpoints as parts of the run's: restored from what the coordinator sent, written
 * by posting the snapshot and waiting for the coordinator to say the whole is durable. */
class PartStorage implements CheckpointStorage {
  readonly where: string
  private readonly task: string
  private readonly restored: Checkpoint | null
  private readonly counter: CheckpointCounter

  constructor(task: string, restored: Checkpoint | null, counter: CheckpointCounter, where: string) {
    this.task = task
    this.restored = restored
    this.counter = counter
    this.where = where
  }

  async load(): Promise<Checkpoint | null> {
    this.counter.last = this.restored?.id ?? 0
    return this.restored
  }

  async write(checkpoint: Checkpoint): Promise<void> {
    const durable = new Promise<void>((resolve) => waitDurable(checkpoint.id, resolve))
    post({ t: 'snapshot', task: this.task, checkpoint })
    await durable
    this.counter.last = checkpoint.id
  }
}

const durableWaiters = new Map<number, (() => void)[]>()
let durableUpTo = 0
function waitDurable(id: number, resolve: () => void): void {
  if (id <= durableUpTo) {
    resolve()
    return
  }
  const list = durableWaiters.get(id) ?? []
  list.push(resolve)
  durableWaiters.set(id, list)
}

async function main(): Promise<void> {
  const mod = (await import(start.module)) as { default?: { compile?: () => Job } }
  if (typeof mod.default?.compile !== 'function') throw new Error(`${start.module} exports no pipeline`)
  const job = mod.default.compile()
  const base = remoteIO(start.log, {
    clock: systemClock,
    exactlyOnce: job.options.guarantee === 'exactly-once',
  })
  const partitionsOf = (topic: string): number => start.partitions[topic] ?? 1
  const plan = parallelPlan(job, start.parallelism, partitionsOf)
  const tasks: { id: string; task: PipelineTask; trigger: TaskTrigger }[] = []
  // Each exchange's channel from this thread's writer task to its reader task.
  const local = new Map(plan.exchanges.map((x) => [x.name, localChannel()]))
  const ends = (exchange: string, role: 'writer' | 'reader'): ChannelPort[] => {
    const ports: ChannelPort[] = []
    for (const c of start.channels)
      if (c.exchange === exchange && c.role === role)
        ports[c.peer] = {
          postMessage: (m) => c.port.postMessage(m),
          on: (_event, listener) => c.port.on('message', listener),
          close: () => c.port.close(),
        }
    ports[start.index] = local.get(exchange)![role === 'writer' ? 0 : 1]
    return ports
  }
  for (const t of plan.tasks.filter((t) => t.index === start.index)) {
    const trigger = new TaskTrigger()
    const counter: CheckpointCounter = { last: 0 }
    let task: PipelineTask | null = null
    const finished = (): boolean => task?.stats.state === 'finished'
    const io: TaskIO = {
      openSource(spec) {
        if (spec.kind !== 'topic' || !spec.exchange) {
          trigger.readsSources = true
          return base.openSource(spec)
        }
        const reader = new ChannelReader(ends(spec.topic, 'reader'), spec.topic, () => trigger.notify())
        trigger.readers.push(reader)
        return reader
      },
      openSink(spec) {
        if (spec.kind !== 'topic' || !spec.exchange) return base.openSink(spec)
        return new ChannelWriter(ends(spec.topic, 'writer'), counter, spec.topic, finished)
      },
      openDeadLetters: (topic) => base.openDeadLetters(topic),
    }
    task = new PipelineTask(t.job, {
      io,
      dataDir: start.dataDir,
      trigger,
      checkpoints: new PartStorage(
        t.id,
        start.restore[t.id] ?? null,
        counter,
        `${start.dataDir}/pipelines/${job.name}/checkpoints`,
      ),
    })
    tasks.push({ id: t.id, task, trigger })
  }
  parentPort!.on('message', (m: ToWorker) => {
    if (m.t === 'checkpoint') {
      for (const { trigger } of tasks) {
        trigger.requested = Math.max(trigger.requested, m.id)
        if (m.last) trigger.stopAt = Math.min(trigger.stopAt, m.id)
        trigger.notify()
      }
    } else if (m.t === 'durable') {
      durableUpTo = Math.max(durableUpTo, m.id)
      for (const [id, list] of durableWaiters)
        if (id <= durableUpTo) {
          durableWaiters.delete(id)
          for (const resolve of list) resolve()
        }
    }
  })
  const report = (): void => post({ t: 'stats', tasks: tasks.map(({ id, task }) => [id, { ...task.stats }]) })
  const timer = setInterval(report, 50)
  try {
    await Promise.all(
      tasks.map(async ({ id, task }) => {
        const outcome = await task.run()
        // Counters first: the coordinator reports them once every task has ended.
        report()
        post({ t: 'ended', task: id, outcome })
      }),
    )
    report()
  } finally {
    clearInterval(timer)
    parentPort!.removeAllListeners('message')
  }
}

main().catch((e: unknown) => {
  post({ t: 'failed', message: e instanceof Error ? (e.stack ?? e.message) : String(e) })
  process.exitCode = 1
})
