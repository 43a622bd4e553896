// The body of one worker thread of `riffle run --workers N` (worker-members.ts): it compiles the
// pipeline module itself, joins the pipeline's consumer group as one member, reports its tasks'
// counters to the parent every 100 ms, and stops when told.
import { parentPort, workerData } from 'node:worker_threads'
import { ScaledOutRun } from '../../connectors/kafka/scale-out.ts'
import { systemClock } from '../../core/time.ts'
import { loadJob } from './load-pipeline.ts'
import type { ParentMessage, WorkerInput, WorkerMessage } from './worker-members.ts'

const input = workerData as WorkerInput
const post = (m: WorkerMessage): void => parentPort!.postMessage(m)

async function main(): Promise<void> {
  const job = await loadJob(input.file)
  const member = await ScaledOutRun.connect({
    bootstrap: input.bootstrap,
    job,
    clock: systemClock,
    dataDir: input.dataDir,
    label: `worker ${input.index + 1}`,
  })
  parentPort!.on('message', (m: ParentMessage) => {
    if (m.kind === 'stop') member.stop()
  })
  const report = (): void => post({ kind: 'stats', tasks: [...member.taskStats()] })
  const timer = setInterval(report, 100)
  try {
    const outcome = await member.run()
    report()
    post({ kind: 'ended', outcome })
  } finally {
    clearInterval(timer)
    parentPort!.removeAllListeners('message')
  }
}

main().catch((e: unknown) => {
  post({ kind: 'failed', message: e instanceof Error ? e.message : String(e) })
  process.exitCode = 1
})
