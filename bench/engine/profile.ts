import { now } from '../lib/measure.ts'
// One case of bench/engine outside the benchmark's pairing, for profiling and quick A/B checks:
//   npx node [--cpu-prof --cpu-prof-dir=/tmp/prof] bench/engine/profile.ts <case id> [events] [engine|loop|both]
// Runs a warm-up of 200,000 events, then the measured run(s), and prints their times; the two
// results are compared as in the benchmark.
import { makeScratchDir, removeScratchDir } from '../lib/tmpdir.ts'
import { CASES } from './cases.ts'
import { runEngine } from './harness.ts'

const [id, events = '2000000', side = 'both'] = process.argv.slice(2)
const c = CASES.find((x) => x.id === id)
if (!c) {
  console.error(`usage: profile.ts <${CASES.map((x) => x.id).join('|')}> [events] [engine|loop|both]`)
  process.exit(2)
}
const n = Number(events)

async function engine(count: number): Promise<{ ms: number; values: unknown[] }> {
  const dir = makeScratchDir(`engine-profile-${c!.id}`)
  try {
    const r = await runEngine(c!.pipeline(count, '1s'), dir)
    return { ms: r.ms, values: r.values }
  } finally {
    removeScratchDir(dir)
  }
}

function loop(count: number): { ms: number; values: unknown[] } {
  const start = now()
  const values = c!.loop(count)
  return { ms: now() - start, values }
}

if (side !== 'loop') await engine(200_000)
if (side !== 'engine') loop(200_000)
const e = side !== 'loop' ? await engine(n) : null
const l = side !== 'engine' ? loop(n) : null
if (e)
  console.log(
    `engine ${e.ms.toFixed(0)} ms (${Math.round(n / (e.ms / 1000))} events/s), ${e.values.length} outputs`,
  )
if (l)
  console.log(
    `loop   ${l.ms.toFixed(0)} ms (${Math.round(n / (l.ms / 1000))} events/s), ${l.values.length} outputs`,
  )
if (e && l) {
  c.check(e.values, l.values)
  console.log(
    `ratio ${(l.ms / e.ms).toFixed(3)} (engine time ${(e.ms / l.ms).toFixed(1)}x the loop); results equal`,
  )
}
