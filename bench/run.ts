// Runs the benchmarks: every module bench/<name>/index.ts in turn, or those named on the command line.
//   npm run bench                 all of them
//   npm run bench -- log          only bench/log
//   npm run bench -- --quick log  small sizes: a smoke test of the benchmark code, not a measurement
//   npm run bench -- --verbose    print every measured riffle/baseline pair
// Each module prints a table (riffle figure, baseline measured in the same run, ratio) and writes
// bench/results/<name>.json.
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { BenchModule } from './lib/module.ts'
import { BENCH_DIR, publish } from './lib/report.ts'

const NOT_MODULES = new Set(['lib', 'results'])

function available(): string[] {
  return fs
    .readdirSync(BENCH_DIR, { withFileTypes: true })
    .filter(
      (e) =>
        e.isDirectory() &&
        !NOT_MODULES.has(e.name) &&
        fs.existsSync(path.join(BENCH_DIR, e.name, 'index.ts')),
    )
    .map((e) => e.name)
    .sort()
}

async function load(name: string): Promise<BenchModule> {
  const mod = (await import(pathToFileURL(path.join(BENCH_DIR, name, 'index.ts')).href)) as {
    default?: BenchModule
  }
  const bench = mod.default
  if (!bench || typeof bench.run !== 'function')
    throw new Error(`bench/${name}/index.ts has no default export with a run() method`)
  return bench
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const quick = args.includes('--quick')
  const verbose = args.includes('--verbose')
  const unknownFlags = args.filter((a) => a.startsWith('-') && a !== '--quick' && a !== '--verbose')
  const all = available()
  const wanted = args.filter((a) => !a.startsWith('-'))
  const missing = wanted.filter((w) => !all.includes(w))
  if (unknownFlags.length > 0 || missing.length > 0) {
    console.error(`usage: npm run bench -- [--quick] [--verbose] [${all.join('|')}]...`)
    if (missing.length > 0)
      console.error(`no benchmark named ${missing.join(', ')}; available: ${all.join(', ')}`)
    process.exit(2)
  }
  const names = wanted.length > 0 ? wanted : all
  for (const name of names) {
    const bench = await load(name)
    console.log(`\n=== bench/${name}: ${bench.title}${quick ? ' (quick)' : ''} ===`)
    const started = Date.now()
    publish(await bench.run({ quick, verbose }))
    console.log(`bench/${name} took ${Math.round((Date.now() - started) / 1000)} s`)
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
