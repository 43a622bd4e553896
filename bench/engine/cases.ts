// The five workloads of bench/engine, each as a Riffle pipeline (the typed API, compiled to a plan
// and run by a PipelineTask with checkpoints) and as hand-written TypeScript loops over the same
// generated input computing the same result with plain Maps and arrays:
// - `loop`, the baseline of the targets, calls the same functions the pipeline is given (generator,
//   map, filter, key selector, aggregate function, join function), so the two sides do the same
//   user work and the ratio is what the engine adds: records, batches, watermarks, state, timers,
//   checkpoints;
// - `inlined` writes that work out by hand inside the loop (no aggregate objects, expressions
//   instead of calls), which lets V8 keep the events in registers; reported beside it.
// `check` compares results outside the timed region; the benchmark fails if they differ.
import {
  type AggregateFunction,
  type Pipeline,
  type Windowed,
  count,
  generator,
  pipeline,
  session,
  sliding,
  stdout,
  sum,
  tumbling,
} from '../../src/api/index.ts'

/** One input event. */
export interface Event {
  id: number
  k: number
  v: number
  ts: number
}

/** A 32-bit integer hash (deterministic, cheap): the source of keys and amounts. */
function mix(x: number): number {
  let h = Math.imul(x ^ (x >>> 16), 0x45d9f3b)
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b)
  return (h ^ (h >>> 16)) >>> 0
}

/** Events per millisecond of event time (10 M events span 1 000 s). */
const PER_MS = 10
/**
 * Event times are epoch milliseconds, as in real data (from 2026-01-01 00:00 UTC). Such numbers are
 * beyond V8's small integers, so objects hold them as boxed doubles; times counted from 0 would be
 * small integers and flatter the engine (see docs/BENCHMARKS.md).
 */
const EPOCH = Date.UTC(2026, 0, 1)
const KEYS = 1000

/** Event i: one of 1 000 keys at random, amount 0..999, PER_MS events per millisecond. */
function plainEvent(i: number): Event {
  const h = mix(i)
  return { id: i, k: h % KEYS, v: (h >>> 10) % 1000, ts: EPOCH + Math.floor(i / PER_MS) }
}

/** Sessions: in each 5 s block a different tenth of 1 000 keys is active (then idle for 45 s). */
const SESSION_BLOCK_MS = 5000
const SESSION_GAP_MS = 1000
function sessionEvent(i: number): Event {
  const h = mix(i)
  const ts = EPOCH + Math.floor(i / PER_MS)
  const k = (h % 100) + 100 * (Math.floor(ts / SESSION_BLOCK_MS) % 10)
  return { id: i, k, v: (h >>> 10) % 1000, ts }
}

/** Interval join: two streams of n/2 events each over 10 000 keys, 5 events per ms per side. */
const JOIN_KEYS = 10_000
const JOIN_PER_MS = 5
const JOIN_LOWER = -200
const JOIN_UPPER = 200
function leftEvent(i: number): Event {
  const h = mix(i)
  return { id: i, k: h % JOIN_KEYS, v: 0, ts: EPOCH + Math.floor(i / JOIN_PER_MS) }
}
function rightEvent(i: number): Event {
  const h = mix(i + 0x5bd1e995)
  return { id: i, k: h % JOIN_KEYS, v: 0, ts: EPOCH + Math.floor(i / JOIN_PER_MS) }
}
/** A join result as one number: left id and right id (both < 2^23). */
const pair = (l: Event, r: Event): number => l.id * 8_388_608 + r.id

const TUMBLE_MS = 10_000
const SLIDE_SIZE_MS = 10_000
const SLIDE_MS = 2_000

export interface EngineCase {
  id: string
  title: string
  targetRatio: number
  /** Measured runs per side at full size (within the ~3 minute budget of `npm run bench -- engine`). */
  reps: number
  /** Extra parameters for the report. */
  params: Record<string, number | string>
  /** The pipeline over `n` events, checkpointing every `checkpointEvery`. */
  pipeline(n: number, checkpointEvery: string): Pipeline
  /** The hand-written loop over the same `n` events with the pipeline's functions; returns the same values. */
  loop(n: number): unknown[]
  /** The same loop with those functions written out inline. */
  inlined(n: number): unknown[]
  /** Throws if the two results differ (order-insensitive where the engine's order is not defined). */
  check(engine: unknown[], loop: unknown[]): void
}

const ts = (_i: number, e: unknown): number => (e as Event).ts
/** The key selector of the keyed cases. */
const byKey = (e: Event): number => e.k
const countEvents = count()
const sumValues = sum((e: Event) => e.v)

/**
 * The loops' window results: per key an accumulator of `agg`, emitted as `agg`'s result (the
 * aggregate calls a pipeline makes, without records, state or timers around them).
 */
function addTo<A>(
  accs: Map<number, A>,
  key: number,
  e: Event,
  agg: AggregateFunction<Event, A, number>,
): void {
  const acc = accs.get(key)
  accs.set(key, agg.add(e, acc === undefined ? agg.createAccumulator() : acc))
}

function source(p: Pipeline, gen: (i: number) => Event, n: number) {
  return p.from(generator(gen, { count: n, timestamp: ts })).withEventTime((e) => e.ts)
}

function mismatch(what: string, i: number, a: unknown, b: unknown): never {
  throw new Error(`engine and loop differ (${what}) at ${i}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
}

function sameLength(a: unknown[], b: unknown[]): void {
  if (a.length !== b.length)
    throw new Error(`engine and loop differ: ${a.length} results against ${b.length}`)
}

type W = Windowed<number, number>

/** Windowed results compared as sets: sorted by (start, key). */
function checkWindowed(engine: unknown[], loop: unknown[]): void {
  sameLength(engine, loop)
  const order = (a: W, b: W): number => a.start - b.start || a.key - b.key
  const e = (engine as W[]).slice().sort(order)
  const l = (loop as W[]).slice().sort(order)
  for (let i = 0; i < e.length; i++) {
    const x = e[i]!
    const y = l[i]!
    if (x.key !== y.key || x.start !== y.start || x.end !== y.end || x.value !== y.value)
      mismatch('windows', i, x, y)
  }
}

interface Mapped {
  id: number
  k: number
  x: number
}

const mapEvent = (e: Event): Mapped => ({ id: e.id, k: e.k, x: e.v * 3 + 1 })
const keepMapped = (m: Mapped): boolean => m.x % 10 === 0

const mapFilter: EngineCase = {
  id: 'map-filter',
  title: '(a) map + filter',
  targetRatio: 0.5,
  reps: 5,
  params: { keep: '~10%' },
  pipeline(n, every) {
    const p = pipeline('bench-map-filter', { checkpointEvery: every })
    source(p, plainEvent, n).map(mapEvent).filter(keepMapped).to(stdout())
    return p
  },
  loop(n) {
    const out: Mapped[] = []
    for (let i = 0; i < n; i++) {
      const m = mapEvent(plainEvent(i))
      if (keepMapped(m)) out.push(m)
    }
    return out
  },
  inlined(n) {
    const out: Mapped[] = []
    for (let i = 0; i < n; i++) {
      const e = plainEvent(i)
      const x = e.v * 3 + 1
      if (x % 10 === 0) out.push({ id: e.id, k: e.k, x })
    }
    return out
  },
  check(engine, loop) {
    sameLength(engine, loop)
    const e = engine as Mapped[]
    const l = loop as Mapped[]
    for (let i = 0; i < e.length; i++)
      if (e[i]!.id !== l[i]!.id || e[i]!.k !== l[i]!.k || e[i]!.x !== l[i]!.x)
        mismatch('values', i, e[i], l[i])
  },
}

const tumblingCount: EngineCase = {
  id: 'tumbling-count',
  title: '(b) keyed tumbling count',
  targetRatio: 0.333,
  reps: 3,
  params: { keys: KEYS, window: '10s' },
  pipeline(n, every) {
    const p = pipeline('bench-tumbling', { checkpointEvery: every })
    source(p, plainEvent, n).keyBy(byKey).window(tumbling(TUMBLE_MS)).aggregate(countEvents).to(stdout())
    return p
  },
  loop(n) {
    const out: W[] = []
    let accs = new Map<number, number>()
    let start = 0
    const emit = (): void => {
      for (const [key, acc] of accs)
        out.push({ key, start, end: start + TUMBLE_MS, value: countEvents.getResult(acc) })
      accs = new Map()
    }
    for (let i = 0; i < n; i++) {
      const e = plainEvent(i)
      if (e.ts >= start + TUMBLE_MS) {
        emit()
        start = e.ts - (e.ts % TUMBLE_MS)
      }
      addTo(accs, byKey(e), e, countEvents)
    }
    emit()
    return out
  },
  inlined(n) {
    // Event time only grows: one window is open at a time; it is emitted when time passes its end.
    const out: W[] = []
    let counts = new Map<number, number>()
    let start = 0
    const emit = (): void => {
      for (const [key, value] of counts) out.push({ key, start, end: start + TUMBLE_MS, value })
      counts = new Map()
    }
    for (let i = 0; i < n; i++) {
      const e = plainEvent(i)
      if (e.ts >= start + TUMBLE_MS) {
        emit()
        start = e.ts - (e.ts % TUMBLE_MS)
      }
      counts.set(e.k, (counts.get(e.k) ?? 0) + 1)
    }
    emit()
    return out
  },
  check: checkWindowed,
}

const slidingSum: EngineCase = {
  id: 'sliding-sum',
  title: '(c) keyed sliding-window sum',
  targetRatio: 0.333,
  reps: 3,
  params: { keys: KEYS, window: '10s every 2s' },
  pipeline(n, every) {
    const p = pipeline('bench-sliding', { checkpointEvery: every })
    source(p, plainEvent, n)
      .keyBy(byKey)
      .window(sliding(SLIDE_SIZE_MS, SLIDE_MS))
      .aggregate(sumValues)
      .to(stdout())
    return p
  },
  loop(n) {
    const out: W[] = []
    const open = new Map<number, Map<number, number>>()
    let fired = Number.NEGATIVE_INFINITY
    const fire = (until: number): void => {
      for (const [start, accs] of open) {
        const end = start + SLIDE_SIZE_MS
        if (end > until) continue
        for (const [key, acc] of accs) out.push({ key, start, end, value: sumValues.getResult(acc) })
        open.delete(start)
      }
    }
    for (let i = 0; i < n; i++) {
      const e = plainEvent(i)
      if (e.ts >= fired + SLIDE_MS) {
        fire(e.ts)
        fired = e.ts - (e.ts % SLIDE_MS)
      }
      const key = byKey(e)
      const last = e.ts - (e.ts % SLIDE_MS)
      for (let start = last; start > e.ts - SLIDE_SIZE_MS; start -= SLIDE_MS) {
        let accs = open.get(start)
        if (!accs) {
          accs = new Map()
          open.set(start, accs)
        }
        addTo(accs, key, e, sumValues)
      }
    }
    fire(Number.POSITIVE_INFINITY)
    return out
  },
  inlined(n) {
    // Open windows by start; each event adds to the SLIDE_SIZE/SLIDE windows that contain it.
    const out: W[] = []
    const open = new Map<number, Map<number, number>>()
    let fired = Number.NEGATIVE_INFINITY
    const fire = (until: number): void => {
      // Emits and drops every window whose end is at or before `until`, oldest first.
      for (const [start, sums] of open) {
        const end = start + SLIDE_SIZE_MS
        if (end > until) continue
        for (const [key, value] of sums) out.push({ key, start, end, value })
        open.delete(start)
      }
    }
    for (let i = 0; i < n; i++) {
      const e = plainEvent(i)
      if (e.ts >= fired + SLIDE_MS) {
        fire(e.ts)
        fired = e.ts - (e.ts % SLIDE_MS)
      }
      const last = e.ts - (e.ts % SLIDE_MS)
      for (let start = last; start > e.ts - SLIDE_SIZE_MS; start -= SLIDE_MS) {
        let sums = open.get(start)
        if (!sums) {
          sums = new Map()
          open.set(start, sums)
        }
        sums.set(e.k, (sums.get(e.k) ?? 0) + e.v)
      }
    }
    fire(Number.POSITIVE_INFINITY)
    return out
  },
  check: checkWindowed,
}

interface Open {
  start: number
  last: number
  sum: number
}

interface Session {
  start: number
  last: number
  acc: number
}

const sessionSum: EngineCase = {
  id: 'session-sum',
  title: '(d) keyed session windows (sum)',
  targetRatio: 0.333,
  reps: 3,
  params: { keys: KEYS, gap: '1s', activity: '5s bursts, 45s idle' },
  pipeline(n, every) {
    const p = pipeline('bench-session', { checkpointEvery: every })
    source(p, sessionEvent, n).keyBy(byKey).window(session(SESSION_GAP_MS)).aggregate(sumValues).to(stdout())
    return p
  },
  loop(n) {
    const out: W[] = []
    const open = new Map<number, Session>()
    const close = (key: number, s: Session): void => {
      out.push({ key, start: s.start, end: s.last + SESSION_GAP_MS, value: sumValues.getResult(s.acc) })
    }
    let swept = 0
    for (let i = 0; i < n; i++) {
      const e = sessionEvent(i)
      if (e.ts >= swept + 1000) {
        for (const [key, s] of open)
          if (s.last + SESSION_GAP_MS < e.ts) {
            close(key, s)
            open.delete(key)
          }
        swept = e.ts
      }
      const key = byKey(e)
      const s = open.get(key)
      if (s && e.ts <= s.last + SESSION_GAP_MS) {
        s.last = e.ts
        s.acc = sumValues.add(e, s.acc)
      } else {
        if (s) close(key, s)
        open.set(key, { start: e.ts, last: e.ts, acc: sumValues.add(e, sumValues.createAccumulator()) })
      }
    }
    for (const [key, s] of open) close(key, s)
    return out
  },
  inlined(n) {
    // One open session per key; a new event more than `gap` after the last one closes it (windows
    // [t, t + gap) that touch merge, as in the engine). Closed sessions are swept once a second.
    const out: W[] = []
    const open = new Map<number, Open>()
    const close = (key: number, s: Open): void => {
      out.push({ key, start: s.start, end: s.last + SESSION_GAP_MS, value: s.sum })
    }
    let swept = 0
    for (let i = 0; i < n; i++) {
      const e = sessionEvent(i)
      if (e.ts >= swept + 1000) {
        for (const [key, s] of open)
          if (s.last + SESSION_GAP_MS < e.ts) {
            close(key, s)
            open.delete(key)
          }
        swept = e.ts
      }
      const s = open.get(e.k)
      if (s && e.ts <= s.last + SESSION_GAP_MS) {
        s.last = e.ts
        s.sum += e.v
      } else {
        if (s) close(e.k, s)
        open.set(e.k, { start: e.ts, last: e.ts, sum: e.v })
      }
    }
    for (const [key, s] of open) close(key, s)
    return out
  },
  check: checkWindowed,
}

interface Buffers {
  lefts: Event[]
  rights: Event[]
}

/**
 * Per key, the buffered events of each side; an arriving event pairs with the other side's buffered
 * events in range, so each pair is made once, by whichever of the two came second. Both sides
 * advance together (one event each in turn); buffers drop what no future event can match.
 */
function joinLoop(n: number, key: (e: Event) => number): number[] {
  const out: number[] = []
  const buffers = new Map<number, Buffers>()
  const bufferOf = (k: number): Buffers => {
    let b = buffers.get(k)
    if (!b) {
      b = { lefts: [], rights: [] }
      buffers.set(k, b)
    }
    return b
  }
  const half = n / 2
  for (let i = 0; i < half; i++) {
    const l = leftEvent(i)
    const b = bufferOf(key(l))
    // Rights r with l.ts + lower <= r.ts <= l.ts + upper; rights older than that can go.
    let drop = 0
    for (const r of b.rights) {
      if (r.ts < l.ts + JOIN_LOWER) drop++
      else if (r.ts <= l.ts + JOIN_UPPER) out.push(pair(l, r))
    }
    if (drop > 0) b.rights.splice(0, drop)
    b.lefts.push(l)
    // Lefts x with x.ts + lower <= r.ts <= x.ts + upper; lefts older than that can go.
    const r = rightEvent(i)
    const c = bufferOf(key(r))
    drop = 0
    for (const x of c.lefts) {
      if (x.ts + JOIN_UPPER < r.ts) drop++
      else if (x.ts + JOIN_LOWER <= r.ts) out.push(pair(x, r))
    }
    if (drop > 0) c.lefts.splice(0, drop)
    c.rights.push(r)
  }
  return out
}

const intervalJoin: EngineCase = {
  id: 'interval-join',
  title: '(e) interval join',
  targetRatio: 0.333,
  reps: 3,
  params: { keys: JOIN_KEYS, between: `[${JOIN_LOWER}ms, +${JOIN_UPPER}ms]`, sides: '2 × n/2 events' },
  pipeline(n, every) {
    const p = pipeline('bench-join', { checkpointEvery: every })
    const left = source(p, leftEvent, n / 2).keyBy(byKey)
    const right = source(p, rightEvent, n / 2).keyBy(byKey)
    left.intervalJoin(right, { lower: JOIN_LOWER, upper: JOIN_UPPER }, pair).to(stdout())
    return p
  },
  loop(n) {
    return joinLoop(n, byKey)
  },
  // The join's only functions are the key selector and `pair`, which the loop calls anyway.
  inlined(n) {
    return joinLoop(n, byKey)
  },
  check(engine, loop) {
    sameLength(engine, loop)
    const e = Float64Array.from(engine as number[]).sort()
    const l = Float64Array.from(loop as number[]).sort()
    for (let i = 0; i < e.length; i++) if (e[i] !== l[i]) mismatch('pairs', i, e[i], l[i])
  },
}

export const CASES: EngineCase[] = [mapFilter, tumblingCount, slidingSum, sessionSum, intervalJoin]
