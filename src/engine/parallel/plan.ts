// How a job runs as `parallelism` tasks per stage in one process (engine/parallel). The job is cut
// into stages at every keyBy exactly as for scale-out (runtime/stages.ts); here every stage has the
// same number of tasks, task t of every stage runs in worker thread t, and the exchanges are
// in-memory channels (channel.ts) rather than topics: an exchange "topic" spec of a stage job only
// names the exchange its channel belongs to.
//
// Source partitions spread over the tasks of their stage (partition p to task p mod parallelism);
// a generator or file is read by task 0 alone. Nothing here does I/O.
import { RiffleError } from '../../core/errors.ts'
import type { Job, SourceSpec } from '../runtime/job.ts'
import { splitStages } from '../runtime/stages.ts'

export interface ParallelTask {
  /** `<stage>#<index>`: names the task's part of a checkpoint. */
  id: string
  stage: string
  /** The task's index within its stage, and so its worker thread. */
  index: number
  job: Job
}

export interface ParallelExchange {
  /** The name the stage jobs' exchange specs carry. */
  name: string
  from: string
  to: string
}

export interface ParallelPlan {
  parallelism: number
  stages: string[]
  tasks: ParallelTask[]
  exchanges: ParallelExchange[]
}

/** A source with nothing to read: a task whose stage's input has no share for it. */
const NOTHING: SourceSpec = { kind: 'generator', generate: () => null, count: 0 }

export function parallelPlan(
  job: Job,
  parallelism: number,
  partitionsOf: (topic: string) => number,
): ParallelPlan {
  if (!(Number.isInteger(parallelism) && parallelism >= 1))
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `parallelism must be a whole number of at least 1, not ${parallelism}`,
    )
  const staged = splitStages(job, { partitionsOf, exchangePartitions: parallelism })
  const tasks: ParallelTask[] = []
  for (const stage of staged.stages)
    for (let index = 0; index < parallelism; index++) {
      const sources: Record<string, SourceSpec> = {}
      for (const [id, s] of Object.entries(stage.job.sources)) {
        if (s.kind === 'topic' && s.exchange) sources[id] = s
        else if (s.kind === 'topic') {
          const assigned: number[] = []
          for (let p = index; p < partitionsOf(s.topic); p += parallelism) assigned.push(p)
          sources[id] = assigned.length > 0 ? { ...s, assigned } : NOTHING
        } else sources[id] = index === 0 ? s : NOTHING
      }
      // keyBy labels each record with the downstream task (splitStages sizes exchanges for topics).
      const plan = {
        ...stage.job.plan,
        nodes: stage.job.plan.nodes.map((n) =>
          n.operator === 'keyBy' ? { ...n, config: { ...n.config, partitions: parallelism } } : n,
        ),
      }
      tasks.push({ id: `${stage.id}#${index}`, stage: stage.id, index, job: { ...stage.job, plan, sources } })
    }
  return {
    parallelism,
    stages: staged.stages.map((s) => s.id),
    tasks,
    exchanges: staged.exchanges.map((x) => ({ name: x.topic, from: x.from, to: x.to })),
  }
}
