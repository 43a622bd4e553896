// A generator source reaches the graph as value batches (io/io.ts ValueBatch): the task's output,
// counters and checkpointed positions are those of the same pipeline fed record batches, including
// across a stop and restart.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { tempDir } from '../../../test/helpers/tmp.ts'
import { boundedOutOfOrderness, count, generator, pipeline, stdout, tumbling } from '../../api/index.ts'
import { systemClock } from '../../core/time.ts'
import { GeneratorSourceReader } from '../io/generator-source.ts'
import type { SinkWriter } from '../io/io.ts'
import type { TaskIO } from '../io/task-io.ts'
import type { StreamRecord } from '../model/record.ts'
import { CheckpointStore, pipelineDir } from './checkpoints.ts'
import { PipelineTask } from './task.ts'

interface Event {
  id: number
  k: string
  ts: number
}

class MemorySink implements SinkWriter {
  readonly records: StreamRecord[] = []
  write(records: readonly StreamRecord[]): void {
    this.records.push(...records)
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

function build(name: string) {
  const p = pipeline(name, { checkpointEvery: '1h', batchSize: 64 })
  const events = p
    .from(generator((i): Event => ({ id: i, k: `k${i % 3}`, ts: i * 7 }), { count: 1000 }))
    .withEventTime((e) => e.ts, boundedOutOfOrderness(20))
  events
    .filter((e) => e.id % 5 !== 0)
    .keyBy((e) => e.k)
    .window(tumbling(500))
    .aggregate(count())
    .to(stdout())
  return p.compile()
}

/** Runs `name` to its end (stopping once after `stopAfter` polls, if given); `rows`: no value batches. */
async function run(dataDir: string, name: string, rows: boolean, stopAfter?: number) {
  const sink = new MemorySink()
  let polls = 0
  let task: PipelineTask | null = null
  const io: TaskIO = {
    openSource(spec) {
      if (spec.kind !== 'generator') throw new Error('generator only')
      const reader = new GeneratorSourceReader(spec, systemClock)
      const poll = reader.poll.bind(reader)
      const pollValues = reader.pollValues.bind(reader)
      const counted = <T>(p: Promise<T>): Promise<T> => {
        if (++polls === stopAfter) task?.stop()
        return p
      }
      reader.poll = (max) => counted(poll(max))
      if (rows) Object.defineProperty(reader, 'pollValues', { value: undefined })
      else reader.pollValues = (max) => counted(pollValues(max))
      return reader
    },
    openSink: () => sink,
    openDeadLetters() {
      throw new Error('no dead letters')
    },
  }
  let outcome: string
  let runs = 0
  do {
    task = new PipelineTask(build(name), { io, dataDir })
    outcome = await task.run()
    runs++
  } while (outcome !== 'finished')
  const cp = await new CheckpointStore(`${pipelineDir(dataDir, name)}/checkpoints`, 3).load()
  return { records: sink.records, stats: task.stats, sources: cp!.sources, runs }
}

test('value and record batches: the same output, counters and positions, across a restart', async (t) => {
  const dir = tempDir(t)
  const viaRows = await run(dir, 'rows', true)
  const viaValues = await run(dir, 'values', false)
  const restarted = await run(dir, 'restarted', false, 5)
  assert.deepEqual([viaRows.runs, viaValues.runs, restarted.runs], [1, 1, 2])
  for (const r of [viaValues, restarted]) {
    assert.deepEqual(r.records, viaRows.records)
    assert.equal(r.stats.recordsIn, 1000)
    assert.equal(r.stats.recordsOut, viaRows.stats.recordsOut)
    assert.deepEqual(r.sources, viaRows.sources)
  }
  // 800 events kept, in windows of 500 ms (about 71 events each, split over three keys).
  assert.equal(
    viaRows.records.reduce((n, r) => n + (r.value as { value: number }).value, 0),
    800,
  )
  assert.deepEqual(Object.values(viaRows.sources), [{ next: 1000 }])
})
