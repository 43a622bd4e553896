// bench/engine: events per second of the stream processor (the typed API compiled to a plan and
// run by a PipelineTask, checkpoints on) next to a hand-written TypeScript loop computing the same
// result over the same input, in the same run. See docs/BENCHMARKS.md for the cases.
import { type Measurement, compare } from '../lib/measure.ts'
import { median, now } from '../lib/measure.ts'
import type { BenchModule, BenchOptions } from '../lib/module.ts'
import {
  type BenchReport,
  type CaseResult,
  caseResult,
  machineInfo,
  progressLine,
  reportHead,
  summaryLine,
} from '../lib/report.ts'
import { makeScratchDir, removeScratchDir, scratchRoot } from '../lib/tmpdir.ts'
import { CASES, type EngineCase } from './cases.ts'
import { runEngine } from './harness.ts'

/** Events per measured run (the interval join: half on each side). */
const EVENTS = 10_000_000
const QUICK_EVENTS = 200_000
/** Events of the unmeasured warm-up run of each side. */
const WARMUP_EVENTS = 200_000
const CHECKPOINT_EVERY = '1s'
const UNIT = 'events/s'

const BASELINE_LABEL = 'hand-written loop'
const BASELINES: Record<string, string> = {
  [BASELINE_LABEL]:
    'a plain TypeScript loop over the same generated events (same generator function, same order) calling the functions the pipeline is given (map, filter, key selector, aggregate, join function) and computing the same result with Maps and arrays: no operators, no batches, no watermarks, no state backend, no checkpoints',
  'inlined loop':
    "the same loop with the user functions written out in it (no aggregate objects): run right after each baseline run, reported in the baseline's details as inlinedEventsPerSec",
}

async function engineRun(c: EngineCase, n: number): Promise<{ m: Measurement; values: unknown[] }> {
  const dir = makeScratchDir(`engine-${c.id}`)
  try {
    const r = await runEngine(c.pipeline(n, CHECKPOINT_EVERY), dir)
    return {
      values: r.values,
      m: {
        value: n / (r.ms / 1000),
        details: {
          ms: Math.round(r.ms),
          outputs: r.values.length,
          checkpoints: r.checkpoints,
          checkpointWriteMs: Number(r.checkpointMs.toFixed(2)),
          checkpointBytes: r.checkpointBytes,
        },
      },
    }
  } finally {
    removeScratchDir(dir)
  }
}

/** The loop, then the inlined loop (its result checked against the loop's, untimed). */
function loopRun(c: EngineCase, n: number): { m: Measurement; values: unknown[] } {
  let start = now()
  const values = c.loop(n)
  const ms = now() - start
  start = now()
  const inlined = c.inlined(n)
  const inlinedMs = now() - start
  c.check(inlined, values)
  return {
    values,
    m: {
      value: n / (ms / 1000),
      details: {
        ms: Math.round(ms),
        outputs: values.length,
        inlinedMs: Math.round(inlinedMs),
        inlinedEventsPerSec: Math.round(n / (inlinedMs / 1000)),
      },
    },
  }
}

async function benchCase(c: EngineCase, n: number, reps: number, opts: BenchOptions): Promise<CaseResult> {
  console.log(`${c.title}: ${n} events, ${reps} runs per side`)
  let engineValues: unknown[] | null = null
  let loopValues: unknown[] | null = null
  const verify = (): void => {
    // Outside the timed region: the two results of a pair must be equal.
    if (engineValues && loopValues) {
      c.check(engineValues, loopValues)
      engineValues = loopValues = null
    }
  }
  const warmup = opts.quick ? Math.min(n, QUICK_EVENTS) : WARMUP_EVENTS
  const progress = progressLine(c.title, UNIT)
  const result = await compare({
    reps,
    warmup: {
      riffle: async () => {
        engineValues = (await engineRun(c, warmup)).values
      },
      baseline: async () => {
        loopValues = loopRun(c, warmup).values
        verify()
      },
    },
    riffle: async () => {
      const r = await engineRun(c, n)
      engineValues = r.values
      verify()
      return r.m
    },
    baseline: async () => {
      const r = loopRun(c, n)
      loopValues = r.values
      verify()
      return r.m
    },
    onPair: (rep, r, b) => {
      if (opts.verbose) progress(rep, r, b)
    },
  })
  console.log(summaryLine(c.title, result, UNIT))
  const d = result.riffle.details[0]!
  const inlined = median(result.baseline.details.map((x) => Number(x.inlinedEventsPerSec)))
  console.log(
    `    inlined loop ${Math.round(inlined)} events/s: engine time ${(inlined / result.riffle.median).toFixed(1)}× the inlined loop's (medians)`,
  )
  console.log(
    `    outputs ${d.outputs}, ${d.checkpoints} checkpoints of up to ${d.checkpointBytes} bytes, ${d.checkpointWriteMs} ms each to write; results equal`,
  )
  return caseResult(result, {
    id: c.id,
    title: c.title,
    unit: UNIT,
    baselineLabel: BASELINE_LABEL,
    targetRatio: c.targetRatio,
    params: { events: n, checkpointEvery: CHECKPOINT_EVERY, ...c.params },
  })
}

async function run(opts: BenchOptions): Promise<BenchReport> {
  const started = Date.now()
  const machine = machineInfo(scratchRoot())
  const n = opts.quick ? QUICK_EVENTS : EVENTS
  const cases: CaseResult[] = []
  console.log(`checkpoints in ${scratchRoot()}`)
  for (const c of CASES) cases.push(await benchCase(c, n, opts.quick ? 1 : c.reps, opts))
  return {
    ...reportHead(
      'engine',
      'Riffle stream processor (PipelineTask, checkpoints on) vs a hand-written loop, same run',
      started,
      opts.quick,
      machine,
    ),
    settings: {
      reps: opts.quick ? 1 : CASES.map((c) => `${c.reps} (${c.id})`).join(', '),
      events: n,
      warmupEvents: opts.quick ? Math.min(n, QUICK_EVENTS) : WARMUP_EVENTS,
      checkpointEvery: CHECKPOINT_EVERY,
      batchSize: 'the default (1000 records per source fetch)',
      order:
        'one unmeasured warm-up run per side, then engine and loop alternate run by run (ABBA...); each pair of results is compared (untimed) and the benchmark fails if they differ',
      throughputUnit: 'events/s = input events over the wall time of the whole run',
    },
    baselines: BASELINES,
    cases,
    notes: [
      'ratio is engine/loop in events/s, so the time ratio is its inverse: the issue asks for engine time at most 2× the loop for map+filter (ratio ≥ 0.5) and 3× for the others (ratio ≥ 0.33)',
      'the engine side is a whole PipelineTask run: generator source reader, LocalGraph, task loop, an in-memory sink, and durable checkpoints (graph snapshot as JSON, fsync, rename) every second plus the first and the final one',
      'both sides generate their input with the same function inside the timed region',
    ],
  }
}

const engineBench: BenchModule = {
  name: 'engine',
  title: 'stream processor: events/s against a hand-written loop',
  run,
}
export default engineBench
