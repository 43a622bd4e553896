// bench/checkpoints: the time to take a checkpoint of large keyed state, incremental (the
// CheckpointStore: content-defined chunks, only new ones written) next to writing the whole
// snapshot as one JSON file (temporary file, fsync, rename, directory fsync: what the store did
// before chunks), in the same run, on the same snapshots. See docs/BENCHMARKS.md.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Checkpoint, CheckpointStore } from '../../src/engine/runtime/checkpoints.ts'
import type { Plain } from '../../src/engine/serde/plain.ts'
import { compare, now } from '../lib/measure.ts'
import type { BenchModule, BenchOptions } from '../lib/module.ts'
import {
  type BenchReport,
  type CaseResult,
  caseResult,
  machineInfo,
  progressLine,
  reportHead,
} from '../lib/report.ts'
import { makeScratchDir, removeScratchDir } from '../lib/tmpdir.ts'

const BASELINE = 'one JSON file'

/** A window operator's snapshot: a map-state row per key (window and accumulator) and its timer. */
function snapshotOf(values: readonly number[]): Plain {
  const rows: Plain[] = []
  const timers: Plain[] = []
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!
    const end = 1_767_225_600_000 + 60_000 * (v % 60)
    rows.push([`user-${k}`, [[end - 60_000, [{ start: end - 60_000, end }, { sum: v, n: v % 97 }, 0]]]])
    timers.push([0, `user-${k}`, String(end - 60_000), end - 1])
  }
  return {
    'source-1': { inputs: { watermark: 0 }, state: [], timers: [], operator: { offsets: [0] } },
    'window-4': {
      inputs: { watermark: 1_767_225_600_000 },
      state: [{ name: 'windows', kind: 'map', ttl: null, rows }],
      timers,
      operator: { windows: 2 },
    },
  }
}

function checkpoint(id: number, graph: Plain): Checkpoint {
  return {
    version: 1,
    id,
    pipeline: 'bench',
    time: Date.now(),
    finished: false,
    sources: { 'source-1': { offsets: [id] } },
    sinks: {},
    graph,
    stats: { recordsIn: 0, recordsOut: 0, skipped: 0, deadLettered: 0 },
  }
}

/** The single-file write: JSON of the whole checkpoint, temporary file, fsync, rename, dir fsync. */
async function wholeFile(dir: string, cp: Checkpoint): Promise<number> {
  const file = path.join(dir, `${cp.id}.json`)
  const text = JSON.stringify(cp)
  const fh = await fs.promises.open(`${file}.tmp`, 'w')
  try {
    await fh.writeFile(text)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await fs.promises.rename(`${file}.tmp`, file)
  const d = fs.openSync(dir, 'r')
  fs.fsyncSync(d)
  fs.closeSync(d)
  for (const f of fs.readdirSync(dir)) if (f !== `${cp.id}.json`) fs.rmSync(path.join(dir, f))
  return Buffer.byteLength(text)
}

/** Deterministic pseudo-random numbers, so both sides see the same changes. */
function lcg(seed: number): () => number {
  let s = seed
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0
    return s / 2 ** 32
  }
}

async function runCase(keys: number, changedShare: number, reps: number): Promise<CaseResult> {
  const values = Array.from({ length: keys }, (_, k) => k)
  const random = lcg(keys)
  const storeDir = makeScratchDir('riffle-bench-cp-')
  const fileDir = makeScratchDir('riffle-bench-cp-file-')
  const store = new CheckpointStore(storeDir, 3)
  let id = 1
  await store.write(checkpoint(id, snapshotOf(values)))
  // Each repetition: the state moves on (a share of the keys updated), then each side checkpoints it.
  let cp = checkpoint(id, snapshotOf(values))
  const step = (): void => {
    const changes = Math.round(keys * changedShare)
    for (let n = 0; n < changes; n++) {
      const k = changedShare >= 1 ? n : Math.floor(random() * keys)
      values[k] = values[k]! + 1
    }
    cp = checkpoint(++id, snapshotOf(values))
  }
  const title = `${keys.toLocaleString('en')} keys, ${changedShare * 100}% changed`
  const c = await compare({
    reps,
    riffle: async (rep) => {
      if (rep % 2 === 0) step()
      const t = now()
      await store.write(cp)
      const ms = now() - t
      const w = store.lastWrite!
      return { value: ms, details: { bytesWritten: w.bytes, chunks: w.chunks, reused: w.reused } }
    },
    baseline: async (rep) => {
      if (rep % 2 === 1) step()
      const t = now()
      const bytes = await wholeFile(fileDir, cp)
      return { value: now() - t, details: { bytesWritten: bytes } }
    },
    onPair: progressLine(title, 'ms'),
  })
  removeScratchDir(storeDir)
  removeScratchDir(fileDir)
  const bytes = (s: typeof c.riffle): number =>
    s.details.reduce((n, d) => n + Number(d.bytesWritten), 0) / s.details.length
  return {
    ...caseResult(c, {
      id: `keys-${keys}-changed-${changedShare}`,
      title,
      unit: 'ms/checkpoint',
      baselineLabel: BASELINE,
      higherIsBetter: false,
      params: { keys, changedShare },
    }),
    secondary: { unit: 'bytes written', riffle: bytes(c.riffle), baseline: bytes(c.baseline) },
  }
}

const bench: BenchModule = {
  name: 'checkpoints',
  title: 'Incremental checkpoints of large state vs one JSON file per checkpoint, same run',
  async run(opts: BenchOptions): Promise<BenchReport> {
    const started = Date.now()
    const machine = machineInfo(makeScratchDir('riffle-bench-cp-probe-'))
    const keys = opts.quick ? 20_000 : 1_000_000
    const reps = opts.quick ? 3 : 6
    const cases: CaseResult[] = []
    for (const share of [0.01, 0.1, 1]) cases.push(await runCase(keys, share, reps))
    machine.loadAverage.end = os.loadavg().map((l) => Number(l.toFixed(2)))
    return {
      ...reportHead('checkpoints', bench.title, started, opts.quick, machine),
      settings: {
        reps,
        keys,
        shape: 'a window operator: one map-state row per key (window, accumulator) and one timer per key',
        order:
          'the state changes, then both sides checkpoint the same snapshot, alternating which goes first',
      },
      baselines: {
        [BASELINE]:
          'JSON.stringify of the whole checkpoint, written to a temporary file, fsync, rename, fsync of the directory: the store before incremental checkpoints',
      },
      cases,
      notes: [
        'Both sides start from the same snapshot object; building it (toPlain in the engine) is not timed on either side.',
        'A share of 100% changes every key: every chunk is new, and chunking costs more than one JSON file.',
      ],
    }
  },
}

export default bench
