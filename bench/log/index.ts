// bench/log: throughput of the durable log (src/log) next to raw node:fs doing the same I/O, in the
// same run. See docs/BENCHMARKS.md for what each case and baseline is.
import { KiB, MiB, compare } from '../lib/measure.ts'
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
import { removeScratchDir, scratchRoot } from '../lib/tmpdir.ts'
import { type AppendCase, type Fsync, SEGMENT_BYTES, rawAppender, riffleAppender } from './append.ts'
import { prepareReadLog, rawRead, riffleRead } from './read.ts'
import { type Workload, buildWorkload } from './workload.ts'

const RECORD_BYTES = 1 * KiB
const PIPELINE_DEPTH = 8
const FETCH_BYTES = 1 * MiB
const TARGET_RATIO = 0.8
/** Measured runs (slices, for appends) per side and case. */
const REPS = 15

interface Shape {
  key: string
  label: string
  batchBytes: number
  /** Bytes appended per measured slice, by fsync policy and shape (sequential / pipelined). */
  sliceBytes: Record<Fsync, { sequential: number; pipelined: number }>
  /** Size of the log read end to end by each read run. */
  readBytes: number
  targetAlways: boolean
}

const SHAPES: Shape[] = [
  {
    key: '16k',
    label: '16 KiB',
    batchBytes: 16 * KiB,
    // fsync=always is bound by the disk's fsyncs per second (a few thousand): fewer bytes suffice.
    sliceBytes: {
      always: { sequential: 6 * MiB, pipelined: 16 * MiB },
      never: { sequential: 16 * MiB, pipelined: 32 * MiB },
    },
    readBytes: 256 * MiB,
    targetAlways: false,
  },
  {
    key: '1m',
    label: '1 MiB',
    batchBytes: 1 * MiB,
    sliceBytes: {
      always: { sequential: 64 * MiB, pipelined: 64 * MiB },
      never: { sequential: 64 * MiB, pipelined: 64 * MiB },
    },
    readBytes: 512 * MiB,
    targetAlways: true,
  },
]

const BASELINES: Record<string, string> = {
  'write+fdatasync/batch':
    'one positional fs.write of the batch at the end of the file, then fs.fdatasync, awaited in turn for every batch',
  'writev+fdatasync/round': `the same ${PIPELINE_DEPTH} writers drive a minimal group-commit loop: everything queued is written with one fs.writev and one fs.fdatasync per round (the same cadence as the log's writer)`,
  'write/batch': 'one positional fs.write per batch, awaited in turn, no fsync',
  'writev/round': `the same ${PIPELINE_DEPTH} writers drive the group-commit loop without fdatasync: one fs.writev per round`,
  [`read ${FETCH_BYTES / MiB} MiB chunks`]:
    'fs.read of the same segment files front to back in 1 MiB reads into fresh buffers (page cache, as for the log)',
}

async function appendCase(
  w: Workload,
  shape: Shape,
  fsync: Fsync,
  depth: number,
  opts: BenchOptions,
  reps: number,
): Promise<CaseResult> {
  const sequential = depth === 1
  const sliceBytes = shape.sliceBytes[fsync][sequential ? 'sequential' : 'pipelined'] / (opts.quick ? 16 : 1)
  const c: AppendCase = {
    batch: w.batch,
    count: Math.max(2 * depth, Math.round(sliceBytes / w.batch.length)),
    fsync,
    depth,
  }
  const title = `append ${shape.label} fsync=${fsync} ${sequential ? 'sequential' : `${depth} in flight`}`
  const baselineLabel =
    fsync === 'always'
      ? sequential
        ? 'write+fdatasync/batch'
        : 'writev+fdatasync/round'
      : sequential
        ? 'write/batch'
        : 'writev/round'
  const riffle = riffleAppender(c)
  const baseline = rawAppender(c)
  try {
    const result = await compare({
      reps,
      warmup: { riffle: () => riffle.slice(), baseline: () => baseline.slice() },
      riffle: () => riffle.slice(),
      baseline: () => baseline.slice(),
      ...(opts.verbose ? { onPair: progressLine(title, 'MB/s') } : {}),
    })
    console.log(summaryLine(title, result, 'MB/s'))
    return caseResult(result, {
      id: `append-${shape.key}-${fsync}-${sequential ? 'seq' : `depth${depth}`}`,
      title,
      unit: 'MB/s',
      baselineLabel,
      params: {
        batchBytes: w.batch.length,
        recordsPerBatch: w.recordsPerBatch,
        recordBytes: w.recordBytes,
        fsync,
        inFlight: depth,
        batchesPerSlice: c.count,
        bytesPerSlice: c.count * w.batch.length,
      },
      ...(fsync === 'always' && shape.targetAlways ? { targetRatio: TARGET_RATIO } : {}),
    })
  } finally {
    await riffle.close()
    await baseline.close()
  }
}

/**
 * A/A check: the sequential fsync=always baseline against a second copy of itself, measured exactly
 * like a real case. Its ratio should be 1.00; how far it is off shows the noise of the machine.
 */
async function aaCase(w: Workload, shape: Shape, opts: BenchOptions, reps: number): Promise<CaseResult> {
  const sliceBytes = shape.sliceBytes.always.sequential / (opts.quick ? 16 : 1)
  const c: AppendCase = {
    batch: w.batch,
    count: Math.max(2, Math.round(sliceBytes / w.batch.length)),
    fsync: 'always',
    depth: 1,
  }
  const title = `A/A: ${shape.label} fsync=always sequential`
  const a = rawAppender(c)
  const b = rawAppender(c)
  try {
    const result = await compare({
      reps,
      warmup: { riffle: () => a.slice(), baseline: () => b.slice() },
      riffle: () => a.slice(),
      baseline: () => b.slice(),
      ...(opts.verbose ? { onPair: progressLine(title, 'MB/s') } : {}),
    })
    console.log(summaryLine(title, result, 'MB/s', ['A', 'B']))
    return caseResult(result, {
      id: `aa-${shape.key}-always-seq`,
      title,
      unit: 'MB/s',
      baselineLabel: 'write+fdatasync/batch',
      params: {
        aa: true,
        batchBytes: w.batch.length,
        fsync: 'always',
        inFlight: 1,
        batchesPerSlice: c.count,
      },
    })
  } finally {
    await a.close()
    await b.close()
  }
}

async function readCase(w: Workload, shape: Shape, opts: BenchOptions, reps: number): Promise<CaseResult> {
  const count = Math.max(8, Math.round(shape.readBytes / (opts.quick ? 16 : 1) / w.batch.length))
  const fixture = await prepareReadLog(w.batch, count)
  try {
    const title = `read ${shape.label}-batch log, ${FETCH_BYTES / MiB} MiB fetches`
    const result = await compare({
      reps,
      warmup: {
        riffle: () => riffleRead(fixture, FETCH_BYTES),
        baseline: () => rawRead(fixture, FETCH_BYTES),
      },
      riffle: () => riffleRead(fixture, FETCH_BYTES),
      baseline: () => rawRead(fixture, FETCH_BYTES),
      ...(opts.verbose ? { onPair: progressLine(title, 'MB/s') } : {}),
    })
    console.log(summaryLine(title, result, 'MB/s'))
    return caseResult(result, {
      id: `read-${shape.key}`,
      title,
      unit: 'MB/s',
      baselineLabel: `read ${FETCH_BYTES / MiB} MiB chunks`,
      params: {
        batchBytes: w.batch.length,
        recordsPerBatch: w.recordsPerBatch,
        bytesPerRun: fixture.bytes,
        segmentFiles: fixture.files.length,
        maxBytes: FETCH_BYTES,
      },
    })
  } finally {
    await fixture.log.close()
    removeScratchDir(fixture.dir)
  }
}

async function run(opts: BenchOptions): Promise<BenchReport> {
  const started = Date.now()
  const machine = machineInfo(scratchRoot())
  const reps = opts.quick ? 3 : REPS
  const cases: CaseResult[] = []
  console.log(`data in ${scratchRoot()}; ${reps} measured runs per side per case`)
  for (const shape of SHAPES) {
    const w = buildWorkload(shape.batchBytes, RECORD_BYTES)
    for (const fsync of ['always', 'never'] as const) {
      for (const depth of [1, PIPELINE_DEPTH])
        cases.push(await appendCase(w, shape, fsync, depth, opts, reps))
    }
    cases.push(await readCase(w, shape, opts, reps))
    if (shape.targetAlways) cases.push(await aaCase(w, shape, opts, reps))
  }
  return {
    ...reportHead(
      'log',
      'Riffle log (src/log PartitionLog) vs raw node:fs, same run',
      started,
      opts.quick,
      machine,
    ),
    settings: {
      reps,
      recordBytes: RECORD_BYTES,
      pipelineDepth: PIPELINE_DEPTH,
      fetchBytes: FETCH_BYTES,
      segmentBytes: SEGMENT_BYTES,
      order:
        'one unmeasured warm-up run per side, then riffle and baseline alternate run by run (ABBA...); appends go to one log and one file per case, in slices',
      throughputUnit: 'MB/s = 10^6 bytes of record batches per second',
    },
    baselines: BASELINES,
    cases,
    notes: [
      'reads are served from the page cache (the log was just written): they measure the software path, not the disk',
      'fsync=never slices are timed until every append resolved (data in the page cache); the fdatasync after each slice is untimed on both sides',
      'the A/A row runs the baseline against itself (its "riffle" column is a second baseline): its distance from 1.00 is the noise of this machine',
    ],
  }
}

const logBench: BenchModule = { name: 'log', title: 'durable log: append and read throughput', run }
export default logBench
