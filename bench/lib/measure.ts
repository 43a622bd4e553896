// Timing and statistics shared by the benchmarks: a monotonic timer, the median, throughput units,
// and paired riffle-versus-baseline runs in alternating order so that drift in the machine (disk
// caches, burst credits, other load) hits both sides alike.

export const KiB = 1024
export const MiB = 1024 * KiB
export const GiB = 1024 * MiB
/** Throughput is reported in MB/s with MB = 10^6 bytes, as disks and Kafka tooling do. */
export const MB = 1_000_000

/** Milliseconds from a monotonic clock. */
export function now(): number {
  return performance.now()
}

/** Runs `fn` and returns how long it took in milliseconds, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = now()
  const value = await fn()
  return { ms: now() - start, value }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values')
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** MB/s (10^6 bytes per second) for `bytes` moved in `ms` milliseconds. */
export function mbPerSec(bytes: number, ms: number): number {
  return bytes / MB / (ms / 1000)
}

/** One run of one side of a comparison: the figure plus whatever counters explain it. */
export interface Measurement {
  value: number
  details?: Record<string, number | string>
}

export interface Side {
  /** The median over the runs. */
  median: number
  runs: number[]
  details: Record<string, number | string>[]
}

export interface Comparison {
  riffle: Side
  baseline: Side
  /** Median of the per-repetition ratios riffle/baseline (each pair ran back to back). */
  ratio: number
  /** median(riffle) / median(baseline), for reference. */
  ratioOfMedians: number
  pairRatios: number[]
}

export interface CompareOptions {
  /** Measured repetitions of each side (at least 3 for a meaningful median). */
  reps: number
  riffle: (rep: number) => Promise<Measurement>
  baseline: (rep: number) => Promise<Measurement>
  /** Unmeasured runs of each side first, to warm the JIT, the allocator and the disk. */
  warmup?: { riffle: () => Promise<unknown>; baseline: () => Promise<unknown> }
  /** Called after each pair, for progress output. */
  onPair?: (rep: number, riffle: Measurement, baseline: Measurement) => void
}

/**
 * Measures riffle and its baseline `reps` times each, alternating which goes first (ABBA...), and
 * pairs the runs so that the ratio is taken between runs made under the same conditions.
 */
export async function compare(options: CompareOptions): Promise<Comparison> {
  if (options.warmup) {
    await options.warmup.riffle()
    await options.warmup.baseline()
  }
  const r: Measurement[] = []
  const b: Measurement[] = []
  for (let rep = 0; rep < options.reps; rep++) {
    let mr: Measurement
    let mb: Measurement
    if (rep % 2 === 0) {
      mr = await options.riffle(rep)
      mb = await options.baseline(rep)
    } else {
      mb = await options.baseline(rep)
      mr = await options.riffle(rep)
    }
    r.push(mr)
    b.push(mb)
    options.onPair?.(rep, mr, mb)
  }
  return pairRuns(r, b)
}

/** Medians and paired ratios of runs made in pairs (run i of each side back to back). */
export function pairRuns(r: readonly Measurement[], b: readonly Measurement[]): Comparison {
  if (r.length !== b.length) throw new Error(`unpaired runs: ${r.length} against ${b.length}`)
  const side = (ms: readonly Measurement[]): Side => ({
    median: median(ms.map((m) => m.value)),
    runs: ms.map((m) => m.value),
    details: ms.map((m) => m.details ?? {}),
  })
  const riffle = side(r)
  const baseline = side(b)
  const pairRatios = r.map((m, i) => m.value / b[i]!.value)
  return {
    riffle,
    baseline,
    ratio: median(pairRatios),
    ratioOfMedians: riffle.median / baseline.median,
    pairRatios,
  }
}

/**
 * The same pairs of runs compared on another figure: `pick` reads it from each run's details (e.g.
 * the p99 of a latency run whose value is its p50).
 */
export function compareOn(
  c: Comparison,
  pick: (details: Record<string, number | string>) => number,
): Comparison {
  const runs = (s: Side): Measurement[] => s.details.map((d) => ({ value: pick(d), details: d }))
  return pairRuns(runs(c.riffle), runs(c.baseline))
}
