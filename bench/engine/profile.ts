import { now } from '../lib/measure.ts'
// One case of bench/engine outside the benchmark's pairing, for profiling and quick A/B checks:
//   npx node [--cpu-prof --cpu-prof-dir=/tmp/prof] bench/engine/profile.ts <case id> [events] [engine|loop|inlined|both]
// Runs a warm-up of 200,000 events, then the measured run(s), and prints their times; results are
// compared as in the benchmark. `both` runs the engine, the loop and the inlined loop.
import { makeScratchDir, removeScratchDir } from '../lib/tmpdir.ts'
import { CASES } from './cases.ts'
import { runEngine } from './harness.ts'

const [id, events = '2000000', side = 'both'] = process.argv.slice(2)
const c = CASES.find((x) => x.id === id)
if (!c) {
  console.error(`usage: profile.ts <${CASES.map((x) => x.id).join('|')}> [events] [engine|loop|inlined|both]`)
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

function loop(count: number, inlined = false): { ms: number; values: unknown[] } {
  const start = now()
  const values = inlined ? c!.inlined(count) : c!.loop(count)
  return { ms: now() - start, values }
}

const runs = (s: string): boolean => side === 'both' || side === s
if (runs('engine')) await engine(200_000)
if (runs('loop')) loop(200_000)
if (runs('inlined')) loop(200_000, true)
const e = runs('engine') ? await engine(n) : null
const l = runs('loop') ? loop(n) : null
const li = runs('inlined') ? loop(n, true) : null
if (e)
  console.log(
    `engine ${e.ms.toFixed(0)} ms (${Math.round(n / (e.ms / 1000))} events/s), ${e.values.length} outputs`,
  )
if (l)
  console.log(
    `loop   ${l.ms.toFixed(0)} ms (${Math.round(n / (l.ms / 1000))} events/s), ${l.values.length} outputs`,
  )
if (li)
  console.log(
    `inlined ${li.ms.toFixed(0)} ms (${Math.round(n / (li.ms / 1000))} events/s), ${li.values.length} outputs`,
  )
if (l && li) c.check(li.values, l.values)
if (e && li) console.log(`engine time ${(e.ms / li.ms).toFixed(1)}x the inlined loop`)
if (e && l) {
  c.check(e.values, l.values)
  console.log(
    `ratio ${(l.ms / e.ms).toFixed(3)} (engine time ${(e.ms / l.ms).toFixed(1)}x the loop); results equal`,
  )
}
