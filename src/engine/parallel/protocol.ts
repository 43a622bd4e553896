// What the coordinator of a parallel run (run.ts) and its worker threads (worker.ts) say to each
// other. Ports ride in the worker's start data; everything else is plain data.
import type { MessagePort } from 'node:worker_threads'
import type { Checkpoint } from '../runtime/checkpoints.ts'
import type { TaskStats } from '../runtime/task.ts'

export interface WorkerStart {
  /** The module whose default export compiles to the job (a pipeline): every thread compiles its own. */
  module: string
  index: number
  parallelism: number
  dataDir: string
  /** Partitions of every topic the job reads or writes (the plan depends on them). */
  partitions: Record<string, number>
  /** The port to the LogHost (io/remote) serving topics of the data directory. */
  log: MessagePort
  /** This worker's ends of the exchange channels to other workers (within it, it makes its own). */
  channels: ChannelEnd[]
  /** The checkpoint each of this worker's tasks restores from, by task id (null: none). */
  restore: Record<string, Checkpoint | null>
}

export interface ChannelEnd {
  exchange: string
  role: 'writer' | 'reader'
  /** The task at the other end (its index). */
  peer: number
  port: MessagePort
}

export type ToWorker =
  /** Take checkpoint `id` (tasks reading sources; others follow barriers); `last`: then stop. */
  | { t: 'checkpoint'; id: number; last: boolean }
  /** Checkpoint `id` is durable: the tasks may commit what they prepared for it. */
  | { t: 'durable'; id: number }

export type FromWorker =
  | { t: 'snapshot'; task: string; checkpoint: Checkpoint }
  /** A task waits for checkpoint `id` (its input is exhausted, or it is starting). */
  | { t: 'want'; id: number }
  | { t: 'stats'; tasks: [string, TaskStats][] }
  | { t: 'ended'; task: string; outcome: 'finished' | 'stopped' }
  | { t: 'failed'; message: string }
