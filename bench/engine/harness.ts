// Runs a compiled pipeline (api Pipeline → Job) the way the runtime does: a PipelineTask (one
// LocalGraph, the task loop, durable checkpoints of the graph snapshot) over generator sources, with
// an in-memory sink that keeps every output value. Only the sink is the benchmark's own: it stands
// in for a topic or file writer and costs one array push per record.
import { statSync } from 'node:fs'
import type { Pipeline } from '../../src/api/index.ts'
import { systemClock } from '../../src/core/time.ts'
import type { SinkWriter, StreamRecord, TaskIO } from '../../src/engine/index.ts'
import { PipelineTask } from '../../src/engine/index.ts'
import { GeneratorSourceReader } from '../../src/engine/io/generator-source.ts'
import type { CheckpointStore } from '../../src/engine/runtime/checkpoints.ts'
import { now } from '../lib/measure.ts'

export class MemorySink implements SinkWriter {
  readonly values: unknown[] = []
  write(records: readonly StreamRecord[]): void {
    for (const r of records) this.values.push(r.value)
  }
  async flush(): Promise<void> {}
  async prepare(): Promise<null> {
    return null
  }
  async commit(): Promise<void> {}
  async recover(): Promise<void> {}
  describe(): string {
    return 'memory'
  }
  async close(): Promise<void> {}
}

export interface EngineRun {
  ms: number
  values: unknown[]
  checkpoints: number
  /** Mean time to write one checkpoint file durably (JSON, write, fsync, rename), ms. */
  checkpointMs: number
  /** Size of the largest checkpoint file. */
  checkpointBytes: number
}

/** Runs `p` to the end of its bounded generator input; checkpoints go under `dataDir`. */
export async function runEngine(p: Pipeline, dataDir: string): Promise<EngineRun> {
  const job = p.compile()
  let sink: MemorySink | null = null
  const io: TaskIO = {
    openSource(spec) {
      if (spec.kind !== 'generator') throw new Error('bench/engine: generator sources only')
      return new GeneratorSourceReader(spec, systemClock)
    },
    openSink() {
      if (sink) throw new Error('bench/engine: one sink only')
      sink = new MemorySink()
      return sink
    },
    openDeadLetters() {
      throw new Error('bench/engine: no dead letters')
    },
  }
  const task = new PipelineTask(job, { io, dataDir })
  // Time spent writing checkpoints (JSON, write, fsync, rename, directory fsync), and their size.
  const store = task.checkpoints as CheckpointStore
  const write = store.write.bind(store)
  let cpMs = 0
  let cpBytes = 0
  store.write = async (cp) => {
    const t = now()
    await write(cp)
    cpMs += now() - t
    cpBytes = Math.max(cpBytes, statSync(store.file(cp.id)).size)
  }
  const start = now()
  const outcome = await task.run()
  const ms = now() - start
  if (outcome !== 'finished') throw new Error(`bench/engine: pipeline ended '${outcome}'`)
  return {
    ms,
    values: (sink as MemorySink | null)?.values ?? [],
    checkpoints: task.stats.checkpoints,
    checkpointMs: cpMs / Math.max(1, task.stats.checkpoints),
    checkpointBytes: cpBytes,
  }
}
