// Reporting shared by the benchmarks: machine information, the human table and the JSON file in
// bench/results/<name>.json. Every figure is printed next to its baseline and the ratio between them.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Comparison, type Measurement, median } from './measure.ts'

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const REPO_DIR = path.dirname(BENCH_DIR)
export const RESULTS_DIR = path.join(BENCH_DIR, 'results')

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryBytes: number
  platform: string
  kernel: string
  arch: string
  node: string
  /** Filesystem the benchmark data lived on, when known. */
  filesystem?: { mountPoint: string; type: string; device: string }
  /** 1, 5 and 15 minute load averages when the benchmark started and ended: other work skews figures. */
  loadAverage: { start: number[]; end?: number[] }
}

/** The mount holding `dir` (longest matching mount point in /proc/mounts), on Linux. */
export function filesystemOf(dir: string): MachineInfo['filesystem'] {
  try {
    const real = fs.realpathSync(dir)
    let best: { mountPoint: string; type: string; device: string } | undefined
    for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [device, mountPoint, type] = line.split(' ')
      if (!device || !mountPoint || !type) continue
      const inside = real === mountPoint || real.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`)
      if (inside && (!best || mountPoint.length > best.mountPoint.length)) best = { mountPoint, type, device }
    }
    return best
  } catch {
    return undefined
  }
}

export function machineInfo(dataDir?: string): MachineInfo {
  const cpus = os.cpus()
  const info: MachineInfo = {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    platform: os.platform(),
    kernel: os.release(),
    arch: os.arch(),
    node: process.version,
    loadAverage: { start: os.loadavg().map((l) => Number(l.toFixed(2))) },
  }
  const fsInfo = dataDir ? filesystemOf(dataDir) : undefined
  if (fsInfo) info.filesystem = fsInfo
  return info
}

/** One row of a benchmark: a riffle figure, its baseline, and their ratio. */
export interface CaseResult {
  id: string
  title: string
  /** Unit of the figures, e.g. "MB/s". */
  unit: string
  /** Whether a larger figure is better (throughput) or worse (latency). */
  higherIsBetter: boolean
  riffle: Comparison['riffle']
  baseline: Comparison['baseline'] & { label: string }
  /** riffle/baseline: the median of the per-repetition ratios. */
  ratio: number
  ratioOfMedians: number
  pairRatios: number[]
  /**
   * For throughput in MB/s: the time Riffle adds per MB over the baseline, in microseconds (median
   * over the pairs of 1/riffle - 1/baseline). Unlike the ratio it does not depend on how fast the
   * disk happened to be, so it shows Riffle's own cost per byte.
   */
  addedMicrosPerMB?: number
  /** The ratio this case should reach, if one is set, and whether it did. */
  target?: { ratio: number; met: boolean }
  /** The same runs in a second unit (e.g. msgs/s beside MB/s): medians of each side. */
  secondary?: { unit: string; riffle: number; baseline: number }
  params: Record<string, number | string | boolean>
}

export interface BenchReport {
  benchmark: string
  title: string
  date: string
  durationSeconds: number
  quick: boolean
  machine: MachineInfo
  settings: Record<string, unknown>
  /** What each baseline is, by label. */
  baselines: Record<string, string>
  cases: CaseResult[]
  notes: string[]
}

/** The fields every report begins with: which benchmark, when, how long, on what machine. */
export function reportHead(
  benchmark: string,
  title: string,
  started: number,
  quick: boolean,
  machine: MachineInfo,
): Pick<BenchReport, 'benchmark' | 'title' | 'date' | 'durationSeconds' | 'quick' | 'machine'> {
  return {
    benchmark,
    title,
    date: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    quick,
    machine,
  }
}

export function caseResult(
  c: Comparison,
  fields: {
    id: string
    title: string
    unit: string
    baselineLabel: string
    params: CaseResult['params']
    higherIsBetter?: boolean
    targetRatio?: number
  },
): CaseResult {
  const result: CaseResult = {
    id: fields.id,
    title: fields.title,
    unit: fields.unit,
    higherIsBetter: fields.higherIsBetter ?? true,
    riffle: c.riffle,
    baseline: { ...c.baseline, label: fields.baselineLabel },
    ratio: c.ratio,
    ratioOfMedians: c.ratioOfMedians,
    pairRatios: c.pairRatios,
    params: fields.params,
  }
  if (result.unit === 'MB/s') {
    result.addedMicrosPerMB = median(c.riffle.runs.map((r, i) => 1e6 / r - 1e6 / c.baseline.runs[i]!))
  }
  if (fields.targetRatio !== undefined) {
    const met = result.higherIsBetter ? c.ratio >= fields.targetRatio : c.ratio <= fields.targetRatio
    result.target = { ratio: fields.targetRatio, met }
  }
  return result
}

/** A figure with about three significant digits. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n)
  const abs = Math.abs(n)
  if (abs >= 100) return n.toFixed(0)
  if (abs >= 10) return n.toFixed(1)
  return n.toFixed(2)
}

/** A plain-text table; columns listed in `right` are right-aligned. */
export function formatTable(
  headers: string[],
  rows: string[][],
  right: ReadonlySet<number> = new Set(),
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd()
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

export function reportTable(report: BenchReport): string {
  const rows = report.cases.map((c) => [
    c.title,
    `${formatNumber(c.riffle.median)} ${c.unit}`,
    `${formatNumber(c.baseline.median)} ${c.unit}`,
    c.baseline.label,
    c.ratio.toFixed(2),
    c.addedMicrosPerMB === undefined
      ? ''
      : `${c.addedMicrosPerMB >= 0 ? '+' : ''}${formatNumber(c.addedMicrosPerMB)} µs`,
    c.target ? `≥ ${c.target.ratio} ${c.target.met ? 'met' : 'NOT MET'}` : '',
  ])
  const headers = ['case', 'riffle', 'baseline', 'baseline is', 'ratio', 'added per MB', 'target']
  if (report.cases.some((c) => c.secondary)) {
    // A column for figures in a second unit, only in reports that have any.
    headers.splice(3, 0, 'riffle / baseline, also')
    report.cases.forEach((c, i) => {
      const s = c.secondary
      rows[i]!.splice(3, 0, s ? `${formatNumber(s.riffle)} / ${formatNumber(s.baseline)} ${s.unit}` : '')
    })
    return formatTable(headers, rows, new Set([1, 2, 3, 5, 6]))
  }
  return formatTable(headers, rows, new Set([1, 2, 4, 5]))
}

export function printReport(report: BenchReport): void {
  const m = report.machine
  const fsText = m.filesystem ? `, data on ${m.filesystem.type} ${m.filesystem.device}` : ''
  const load = (l: number[] | undefined): string => (l ? l.map((x) => x.toFixed(2)).join(' ') : '?')
  console.log(`\n${report.title}${report.quick ? ' (QUICK MODE: small sizes, not for comparison)' : ''}`)
  console.log(
    `${report.date}; ${m.cpuModel}, ${m.cores} cores, node ${m.node}, ${m.platform} ${m.kernel}${fsText}`,
  )
  console.log(`load average at start ${load(m.loadAverage.start)}, at end ${load(m.loadAverage.end)}`)
  console.log(
    `each figure is the median of ${String(report.settings.reps)} runs; ratio (riffle/baseline) and added per MB (time riffle adds per 10^6 bytes) are medians over the pairs of runs\n`,
  )
  console.log(reportTable(report))
  console.log('\nbaselines:')
  for (const [label, text] of Object.entries(report.baselines)) console.log(`  ${label}: ${text}`)
  for (const note of report.notes) console.log(`note: ${note}`)
}

/** Writes bench/results/<benchmark>.json (or <benchmark>.quick.json for quick runs); returns the path. */
export function writeReport(report: BenchReport): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  const file = path.join(RESULTS_DIR, `${report.benchmark}${report.quick ? '.quick' : ''}.json`)
  const round = (_key: string, v: unknown): unknown =>
    typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v
  fs.writeFileSync(file, `${JSON.stringify(report, round, 2)}\n`)
  return file
}

/** Prints the table and writes the JSON file. */
export function publish(report: BenchReport): void {
  report.machine.loadAverage.end ??= os.loadavg().map((l) => Number(l.toFixed(2)))
  printReport(report)
  const file = writeReport(report)
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`)
}

/** One line per case while a benchmark runs: medians, ratio and the spread of the paired ratios. */
export function summaryLine(
  title: string,
  c: Comparison,
  unit: string,
  names = ['riffle', 'baseline'],
): string {
  const lo = Math.min(...c.pairRatios)
  const hi = Math.max(...c.pairRatios)
  const [a, b] = names
  return `  ${title}: ${a} ${formatNumber(c.riffle.median)} ${unit}, ${b} ${formatNumber(c.baseline.median)} ${unit}, ratio ${c.ratio.toFixed(2)} (pairs ${lo.toFixed(2)}..${hi.toFixed(2)})`
}

/** A progress callback for compare(): one line per measured pair, with fsync counts when present. */
export function progressLine(
  title: string,
  unit: string,
): (rep: number, riffle: Measurement, baseline: Measurement) => void {
  const fsyncs = (m: Measurement): string => {
    const n = m.details?.fsyncs
    return typeof n === 'number' && n > 0 ? ` (${n} fsyncs)` : ''
  }
  return (rep, r, b) =>
    console.log(
      `    ${title} #${rep + 1}: riffle ${formatNumber(r.value)} ${unit}${fsyncs(r)}, baseline ${formatNumber(b.value)} ${unit}${fsyncs(b)}, ratio ${(r.value / b.value).toFixed(2)}`,
    )
}
