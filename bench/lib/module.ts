// The contract between bench/run.ts and a benchmark module (bench/<name>/index.ts).
import type { BenchReport } from './report.ts'

export interface BenchOptions {
  /** Small sizes and few repetitions: a smoke test of the benchmark itself, not a measurement. */
  quick: boolean
  /** Print every measured pair, not just a line per case. */
  verbose: boolean
}

export interface BenchModule {
  /** Short name, as given on the command line and used for bench/results/<name>.json. */
  name: string
  title: string
  /** Runs every case, printing progress, and returns the report (bench/run.ts prints and saves it). */
  run(options: BenchOptions): Promise<BenchReport>
}
