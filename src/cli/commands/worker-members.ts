// `riffle run --workers N`: N members of the pipeline's consumer group in one process, each a
// ScaledOutRun in its own worker thread, so the pipeline's tasks spread over N cores. The group
// assigns tasks to the workers exactly as to separate processes (the exchange and state topics,
// fencing and restore are the same), and the threads share nothing but the process. This side
// starts the workers, relays stop, and sums their per-task counters for the progress lines.
import { Worker } from 'node:worker_threads'
import { sumTaskStats } from '../../connectors/kafka/scale-out.ts'
import type { TaskStats } from '../../engine/index.ts'

export interface WorkerInput {
  file: string
  bootstrap: string
  dataDir: string
  index: number
}

/** What a worker posts: its tasks' counters now and then, and how it ended. */
export type WorkerMessage =
  | { kind: 'stats'; tasks: [string, TaskStats][] }
  | { kind: 'ended'; outcome: 'finished' | 'stopped' }
  | { kind: 'failed'; message: string }

/** What the parent posts. */
export type ParentMessage = { kind: 'stop' }

export class WorkerMembers {
  private readonly workers: Worker[] = []
  /** Every worker's latest counters per task; a task that moved is counted once (the newest). */
  private readonly tasks = new Map<string, TaskStats>()
  private readonly outcomes: Array<Promise<'finished' | 'stopped'>> = []
  private stopping = false
  private ended: 'finished' | 'stopped' | 'failed' | null = null

  constructor(count: number, input: Omit<WorkerInput, 'index'>) {
    for (let index = 0; index < count; index++) {
      const worker = new Worker(new URL('./worker-main.ts', import.meta.url), {
        workerData: { ...input, index } satisfies WorkerInput,
      })
      this.workers.push(worker)
      this.outcomes.push(
        new Promise((resolve, reject) => {
          let failure: string | null = null
          let settled = false
          worker.on('message', (m: WorkerMessage) => {
            if (m.kind === 'stats') for (const [key, s] of m.tasks) this.merge(key, s)
            else if (m.kind === 'failed') failure = m.message
            else {
              // Done: the member has left the group and closed its clients. Whatever the
              // libraries still hold open (idle sockets, timers) must not keep the thread alive.
              settled = true
              resolve(m.outcome)
              void worker.terminate()
            }
          })
          worker.on('error', (e) => {
            failure ??= e.message
          })
          worker.on('exit', () => {
            if (!settled) reject(new Error(`worker ${index + 1}: ${failure ?? 'exited unexpectedly'}`))
          })
        }),
      )
    }
  }

  /** A task's counters only grow: of two reports (from the member it left and the one it joined), keep the larger. */
  private merge(key: string, s: TaskStats): void {
    const had = this.tasks.get(key)
    if (!had || s.recordsIn + s.recordsOut >= had.recordsIn + had.recordsOut) this.tasks.set(key, s)
  }

  get stats(): TaskStats {
    return sumTaskStats(this.ended ?? (this.stopping ? 'stopping' : 'running'), this.tasks.values())
  }

  stop(): void {
    this.stopping = true
    for (const w of this.workers) w.postMessage({ kind: 'stop' } satisfies ParentMessage)
  }

  /** 'finished' once every worker has seen its input end; 'stopped' after stop(). A failed worker stops the rest. */
  async run(): Promise<'finished' | 'stopped'> {
    const all = this.outcomes.map((p) =>
      p.catch((e: unknown) => {
        this.stop()
        throw e
      }),
    )
    const settled = await Promise.allSettled(all)
    const failed = settled.find((r) => r.status === 'rejected')
    if (failed) {
      this.ended = 'failed'
      throw failed.reason
    }
    const outcome = settled.every((r) => r.status === 'fulfilled' && r.value === 'finished')
      ? 'finished'
      : 'stopped'
    this.ended = outcome
    return outcome
  }
}
