// Acceptance test for backpressure: a sink 100x slower than the source; memory stays under a stated
// bound; nothing is lost.
//
// Everything is real: `riffle serve` is the cluster, `riffle run --bootstrap` runs the pipeline in
// another process, and the pipeline reaches the broker only through a TCP proxy of the test's own
// that answers Produce requests at a fixed byte rate (throttle-proxy.ts) while fetches pass at full
// speed. First a calibration run reads the whole input through the same proxy and discards it: the
// source's own rate, and how long it takes to read everything. Then the copying pipeline runs with
// Produce throttled to a hundredth of that rate for 1.5 times that long, time enough for a source
// that ignored its sink to have read the whole input (hundreds of MB, far above the memory bound),
// then the throttle is lifted so the rest drains quickly. Checked: the pipeline's peak resident set
// (VmHWM), how far the source ever ran ahead of what reached the output topic, that the sink really
// was that much slower, and that the read_committed output is exactly the expected records, each
// once, in input order.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { type BrokerProcess, startBroker } from '../helpers/broker.ts'
import { RawClient } from '../helpers/raw-client.ts'
import { type Progress, type Run, riffleRun } from '../helpers/riffle-run.ts'
import { fillTopic, outputValue, pipelineSource, readCommitted, sleep } from './support.ts'
import { type ThrottleProxy, throttleProxy } from './throttle-proxy.ts'

// About 600 MB of JSON input (1M records of ~610 bytes).
const COUNT = Number(process.env.RIFFLE_BP_COUNT ?? 1_000_000)
const SLOWDOWN = 100
const MB = 1024 * 1024
// The bound on the pipeline process's peak resident set. `riffle run` is ~165 MB resident before
// it reads anything (Node, the TypeScript it loads, the Kafka clients), and at full speed V8 lets
// its heap grow to ~200 MB between major collections although only ~30 MB stay live: bounded runs
// peaked at 320–460 MB here (under load too). The same pipeline keeping every record it read needs
// ~980 MB for this input (~1030 MB keeping them as bytes), measured by pushing them to an array.
const MEMORY_BOUND = 600 * MB
// How far the source may run ahead of what reached the output topic: the topic sink queues at most 16
// sends of 500 records (sent one after another) plus a batch being filled, and the task reads one
// batch of 1000 at a time; the rest is slack. Reading the whole input ahead would be 1,000,000.
const LAG_BOUND = 25_000

async function endOffset(raw: RawClient, topic: string): Promise<number> {
  const r = await raw.request(2, 7, {
    replicaId: -1,
    isolationLevel: 0,
    topics: [
      {
        name: topic,
        partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
      },
    ],
    timeoutMs: 0,
  })
  const p = r.topics[0]!.partitions[0]!
  return p.errorCode === 0 ? Number(p.offset) : 0
}

/** Records per second between the first progress line that read anything and the one that read `to`. */
function readRate(progress: Progress[], to: number): { rate: number; ms: number } {
  const first = progress.find((p) => p.in > 0)
  const last = progress.find((p) => p.in >= to)
  assert.ok(first && last && last.at > first.at, 'progress lines over the calibration run')
  const ms = last.at - first.at
  return { rate: ((last.in - first.in) * 1000) / ms, ms }
}

test(`a sink ${SLOWDOWN}x slower than its source: memory stays bounded, nothing is lost or duplicated`, async (t) => {
  const dirs: string[] = []
  const runs: Run[] = []
  let broker: BrokerProcess | null = null
  let proxy: ThrottleProxy | null = null
  let raw: RawClient | null = null
  t.after(async () => {
    for (const r of runs) r.kill()
    raw?.close()
    await broker?.kill()
    proxy?.close()
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
  })
  const mkdir = (prefix: string): string => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
    dirs.push(d)
    return d
  }
  const brokerDir = mkdir('riffle-bp-broker-')
  const runDir = mkdir('riffle-bp-run-')
  const started = Date.now()
  const inputBytes = await fillTopic(brokerDir, 'input', COUNT)
  t.diagnostic(
    `input: ${COUNT} records, ${(inputBytes / MB).toFixed(0)} MB, filled in ${Date.now() - started} ms`,
  )

  let brokerPort = 0
  proxy = await throttleProxy(() => brokerPort)
  broker = await startBroker(null, brokerDir, { args: ['--advertise', `127.0.0.1:${proxy.port}`] })
  brokerPort = broker.port
  raw = await RawClient.connect(broker.port)
  const bootstrap = `127.0.0.1:${proxy.port}`

  // 1. The source alone: the same pipeline with a filter that drops everything before the sink.
  const calibrate = path.join(runDir, 'calibrate.ts')
  fs.writeFileSync(
    calibrate,
    pipelineSource({ name: 'calibrate', input: 'input', output: 'discarded', bounded: true, discard: true }),
  )
  const calib = riffleRun([calibrate, '--bootstrap', bootstrap, '--data-dir', runDir, '--progress', '200ms'])
  runs.push(calib)
  const calibExit = await calib.exited
  assert.deepEqual(calibExit, { code: 0, signal: null }, calib.stderr())
  const source = readRate(calib.progress, COUNT)
  t.diagnostic(
    `source alone: ${Math.round(source.rate)} records/s, all read in ${source.ms} ms, peak RSS ${(calib.peakRss() / MB).toFixed(0)} MB`,
  )

  // 2. The copy with Produce throttled.
  const copy = path.join(runDir, 'copy.ts')
  fs.writeFileSync(
    copy,
    pipelineSource({ name: 'copy', input: 'input', output: 'output', bounded: false, discard: false }),
  )
  const recordBytes = Buffer.byteLength(outputValue(COUNT)) + 16
  proxy.setProduceRate((source.rate / SLOWDOWN) * recordBytes)
  const run = riffleRun([copy, '--bootstrap', bootstrap, '--data-dir', runDir, '--progress', '250ms'])
  runs.push(run)
  const samples: Array<Progress & { end: number }> = []
  let throttled = true
  run.onProgress((p) => {
    if (!throttled) return
    void endOffset(raw!, 'output').then(
      (end) => samples.push({ ...p, end }),
      () => {},
    )
  })
  const first = await run.waitForProgress((p) => p.in > 0, 'the copy to read', 60_000)
  // Long enough for a source that ignored the sink to read everything (1.5 times the calibration).
  const throttleMs = Math.round(Math.max(10_000, 1.5 * source.ms))
  await sleep(first.at + throttleMs / 2 - Date.now())
  // The sink's rate over the second half (the first starts with filling its in-flight window).
  const midAt = Date.now()
  const endAtMid = await endOffset(raw, 'output')
  await sleep(first.at + throttleMs - Date.now())
  throttled = false
  const peakThrottled = run.peakRss()
  const releasedAt = Date.now()
  const endAtRelease = await endOffset(raw, 'output')
  const sinkRate = ((endAtRelease - endAtMid) * 1000) / (releasedAt - midAt)
  const inAtRelease = run.progress.at(-1)!.in
  proxy.setProduceRate(null)
  const done = await run.waitForProgress((p) => p.out >= COUNT, 'every record written', 180_000)
  const peak = run.peakRss()
  run.child.kill('SIGTERM')
  assert.deepEqual(await run.exited, { code: 0, signal: null }, run.stderr())
  const drainRate = ((COUNT - endAtRelease) * 1000) / (done.at - releasedAt)

  const lag = Math.max(...samples.map((s) => s.in - s.end))
  t.diagnostic(
    `throttled ${throttleMs} ms: sink ${Math.round(sinkRate)} records/s (${(source.rate / sinkRate).toFixed(0)}x slower than the source), ` +
      `read ${inAtRelease} of ${COUNT}, at most ${lag} records ahead of the output; then ${Math.round(drainRate)} records/s unthrottled`,
  )
  t.diagnostic(
    `peak RSS while throttled ${(peakThrottled / MB).toFixed(0)} MB, peak RSS ${(peak / MB).toFixed(0)} MB (bound ${MEMORY_BOUND / MB} MB); ${Date.now() - started} ms so far`,
  )

  // 3. The output, read_committed from the broker's data directory.
  await broker.stop()
  const seen = new Uint8Array(COUNT)
  const problems: string[] = []
  let read = 0
  let duplicates = 0
  let wrong = 0
  let behind = 0
  let newest = -1
  const idOf = (text: string): number => {
    try {
      const id = (JSON.parse(text) as { id?: unknown }).id
      return Number.isInteger(id) && (id as number) >= 0 && (id as number) < COUNT ? (id as number) : -1
    } catch {
      return -1
    }
  }
  const result = await readCommitted(brokerDir, 'output', 0, (value) => {
    read++
    const text = value?.toString() ?? ''
    const id = idOf(text)
    if (id < 0 || text !== outputValue(id)) {
      if (wrong++ < 3) problems.push(`unexpected record ${text.slice(0, 100)}`)
      return
    }
    if (seen[id]++ > 0 && duplicates++ < 3) problems.push(`record ${id} twice`)
    if (id < newest) behind++
    newest = Math.max(newest, id)
  })
  const missing = seen.reduce((n, s) => n + (s === 0 ? 1 : 0), 0)
  t.diagnostic(
    `${read} records read back (${missing} missing, ${duplicates} duplicated, ${wrong} wrong, ${behind} behind a later one), ` +
      `${result.aborted} aborted transactions; ${Date.now() - started} ms in all`,
  )
  assert.deepEqual(problems, [])
  assert.equal(missing, 0, 'records lost')
  assert.equal(read, COUNT)
  assert.equal(result.open, 0)
  // One input partition to one output partition keeps the input's order: the topic sink sends one
  // request at a time, so the client cannot reorder them.
  assert.equal(behind, 0, `${behind} records written after a later one`)

  assert.ok(peak < MEMORY_BOUND, `peak RSS ${(peak / MB).toFixed(0)} MB`)
  assert.ok(samples.length > 0, 'progress while throttled')
  assert.ok(lag <= LAG_BOUND, `${lag} records ahead`)
  // Not vacuous: a source that ignored the sink would have read everything while it was throttled,
  // and the sink did move, but about 100 times slower than the source (asserted loosely).
  assert.ok(inAtRelease < COUNT / 10, `read ${inAtRelease} while throttled`)
  assert.ok(sinkRate > 0, 'the throttled sink wrote something')
  assert.ok(source.rate / sinkRate >= SLOWDOWN / 3, 'the sink was much slower than the source')
})
