// Shared by the pipeline tests: click input written straight into a topic of a LogStore, the
// reference result computed independently of the engine, and a read_committed reader of an output
// topic that works from the raw batches alone (transactional records count only once their
// producer's COMMIT marker follows), so it does not rely on the code under test.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { SeededRandom } from '../../src/engine/testing/random.ts'
import type { PartitionLog } from '../../src/log/partition-log.ts'
import type { LogStore } from '../../src/log/store.ts'
import { CONTROL_COMMIT, controlType } from '../../src/protocol/records/control.ts'
import { checkBatch } from '../../src/protocol/records/header.ts'
import * as L from '../../src/protocol/records/layout.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record.ts'
import { apiUrl } from './riffle-run.ts'

export interface Click {
  page: string
  user: string
  ts: number
}

/**
 * An hour ago, on a whole minute: record times must be recent, or the broker's retention (7 days by
 * record time, checked every 30 s) deletes a test's input and output while it runs.
 */
export const BASE_TIME = Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000
const PAGES = ['/', '/home', '/cart', '/pay', '/about', '/help', '/health']

/**
 * `perPartition` clicks in each partition, 40 ms apart, each up to 4.5 s behind its partition's
 * newest one (so with 5 s of allowed out-of-orderness nothing is ever late).
 */
export function clicks(partitions: number, perPartition: number, seed = 1): Click[][] {
  const rnd = new SeededRandom(seed)
  return Array.from({ length: partitions }, (_, p) =>
    Array.from({ length: perPartition }, (_, i) => ({
      page: rnd.pick(PAGES),
      user: `u${rnd.int(0, 99)}`,
      ts: BASE_TIME + i * 40 + p * 7 - rnd.int(0, 4500),
    })),
  )
}

/** Appends values as JSON records, `batch` per record batch, into partition p of `topic`. */
export async function produce(
  store: LogStore,
  topic: string,
  byPartition: unknown[][],
  options: { batch?: number; raw?: (value: unknown) => string | Buffer } = {},
): Promise<void> {
  const t = store.topic(topic) ?? store.createTopic(topic, byPartition.length)
  const size = options.batch ?? 100
  const encode = options.raw ?? ((v: unknown): string | Buffer => JSON.stringify(v))
  for (let p = 0; p < byPartition.length; p++)
    for (let i = 0; i < byPartition[p]!.length; i += size)
      await t.partitions[p]!.append(
        encodeRecordBatch(
          byPartition[p]!.slice(i, i + size).map((v, j) => ({
            value: encode(v),
            timestamp: BASE_TIME + i + j,
          })),
        ),
      )
}

/**
 * Writes `<dir>/<name>.ts`, a pipeline module counting clicks per page (without /health) in tumbling
 * windows of `windowMs` from the unbounded topic `clicks` into `output` (3 partitions): the pipeline
 * of the scale-out tests, whose expected result is clicksPerMinute(input, windowMs).
 */
export function pageCountsModule(dir: string, name: string, output: string, windowMs: number): string {
  const file = path.join(dir, `${name}.ts`)
  fs.writeFileSync(
    file,
    `import { boundedOutOfOrderness, count, pipeline, topic, tumbling } from '${apiUrl}'
const p = pipeline('${name}', { checkpointEvery: '200ms', batchSize: 100 })
p.from(topic<{ page: string; ts: number }>('clicks'))
  .withEventTime((c) => c.ts, boundedOutOfOrderness('5s'))
  .filter((c) => c.page !== '/health')
  .keyBy((c) => c.page)
  .window(tumbling('${windowMs}ms'))
  .aggregate(count())
  .to(topic('${output}', { partitions: 3 }))
export default p
`,
  )
  return file
}

/** Clicks per page and window (a minute by default), /health excluded, as "page|start" → count. */
export function clicksPerMinute(input: Click[][], size = 60_000): Map<string, number> {
  const out = new Map<string, number>()
  for (const c of input.flat()) {
    if (c.page === '/health') continue
    const k = `${c.page}|${c.ts - (c.ts % size)}`
    out.set(k, (out.get(k) ?? 0) + 1)
  }
  return out
}

export interface OutRecord {
  partition: number
  key: string | null
  value: string | null
  timestamp: number
}

/**
 * Calls `onRecord` with every record read_committed consumers of one partition see, in offset order,
 * from raw batches: non-transactional records, and transactional ones once their producer writes a
 * COMMIT marker after them. Streams (holds only open transactions' records), so large outputs are
 * checked without holding them. Returns how many transactions were aborted and how many are open.
 */
export async function forEachCommitted(
  log: PartitionLog,
  onRecord: (r: { key: Buffer | null; value: Buffer | null; timestamp: number }) => void,
): Promise<{ aborted: number; open: number }> {
  type Kept = { key: Buffer | null; value: Buffer | null; timestamp: number }
  const pending = new Map<bigint, Kept[]>()
  let aborted = 0
  for await (const { bytes, at } of batches(log)) {
    const pid = bytes.readBigInt64BE(at + L.PRODUCER_ID)
    const attributes = bytes.readInt16BE(at + L.ATTRIBUTES)
    const decoded = decodeRecordBatch(bytes, at).records
    if (attributes & L.ATTR_CONTROL) {
      if (controlType(decoded[0]!.key) === CONTROL_COMMIT) for (const r of pending.get(pid) ?? []) onRecord(r)
      else aborted++
      pending.delete(pid)
      continue
    }
    // Copies: the batch bytes are a view of a read buffer.
    const kept = decoded.map(
      (r): Kept => ({
        key: r.key ? Buffer.from(r.key) : null,
        value: r.value ? Buffer.from(r.value) : null,
        timestamp: r.timestamp,
      }),
    )
    if (attributes & L.ATTR_TRANSACTIONAL) {
      const list = pending.get(pid) ?? []
      for (const r of kept) list.push(r)
      pending.set(pid, list)
    } else for (const r of kept) onRecord(r)
  }
  return { aborted, open: pending.size }
}

/** Every partition's records as read_committed consumers see them (see forEachCommitted). */
export async function committed(
  store: LogStore,
  topic: string,
): Promise<{ records: OutRecord[]; aborted: number; open: number }> {
  const records: OutRecord[] = []
  let aborted = 0
  let open = 0
  const t = store.topic(topic)
  assert.ok(t, `topic ${topic} exists`)
  for (const [p, log] of t.partitions.entries()) {
    const r = await forEachCommitted(log, (x) =>
      records.push({
        partition: p,
        key: x.key?.toString() ?? null,
        value: x.value?.toString() ?? null,
        timestamp: x.timestamp,
      }),
    )
    aborted += r.aborted
    open += r.open
  }
  return { records, aborted, open }
}

async function* batches(log: PartitionLog): AsyncGenerator<{ bytes: Buffer; at: number }> {
  let offset = log.logStartOffset
  while (offset < log.highWatermark) {
    const { bytes } = await log.read(offset, 1 << 20)
    for (let at = 0; at < bytes.length; ) {
      const size = checkBatch(bytes, at)
      assert.equal(typeof size, 'number')
      yield { bytes, at }
      offset =
        Number(bytes.readBigInt64BE(at + L.BASE_OFFSET)) + bytes.readInt32BE(at + L.LAST_OFFSET_DELTA) + 1
      at += size as number
    }
  }
}

/** Output of a clicks-per-minute pipeline as "page|start" → count; fails on any result seen twice. */
export function windowCounts(records: OutRecord[], size = 60_000): Map<string, number> {
  const out = new Map<string, number>()
  for (const r of records) {
    const w = JSON.parse(r.value!) as { key: string; start: number; end: number; value: number }
    assert.equal(r.key, w.key, 'the Kafka key is the page')
    assert.equal(w.end - w.start, size)
    const k = `${w.key}|${w.start}`
    assert.ok(!out.has(k), `result ${k} appears twice`)
    out.set(k, w.value)
  }
  return out
}
