// Shared by the backpressure tests: the input records and the output they must become, filling an
// input topic straight into a data directory, and streaming the read_committed output back from it.
import assert from 'node:assert/strict'
import { SeededRandom } from '../../src/engine/testing/random.ts'
import { LogStore } from '../../src/log/store.ts'
import { encodeRecordBatch } from '../../src/protocol/records/record.ts'
import { forEachCommitted } from '../helpers/pipelines.ts'
import { apiUrl } from '../helpers/riffle-run.ts'

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

// Payloads are windows into one random pool of lowercase text: distinct per id, cheap to rebuild.
const PAYLOAD_CHARS = 600
const POOL_CHARS = 8192
const rnd = new SeededRandom(42)
const POOL = Array.from({ length: POOL_CHARS }, () => String.fromCharCode(97 + rnd.int(0, 25))).join('')

export function payloadOf(id: number): string {
  const at = (id * 7919) % (POOL_CHARS - PAYLOAD_CHARS)
  return POOL.slice(at, at + PAYLOAD_CHARS)
}

/** Input record `id` as the pipeline reads it (JSON). */
export const inputValue = (id: number): string => JSON.stringify({ id, payload: payloadOf(id) })

/** What the pipeline must write for input `id`: the map of `pipelineSource` below, computed here. */
export const outputValue = (id: number): string =>
  JSON.stringify({ id, payload: payloadOf(id).toUpperCase(), n: PAYLOAD_CHARS })

/** The TypeScript of a pipeline module: input → map → (nothing, for `discard`) → output topic. */
export function pipelineSource(o: {
  name: string
  input: string
  output: string
  bounded: boolean
  discard: boolean
}): string {
  return `import { pipeline, topic } from '${apiUrl}'
interface In { id: number; payload: string }
const p = pipeline('${o.name}', { checkpointEvery: '1s' })
p.from(topic<In>('${o.input}', { bounded: ${o.bounded} }))
  .map((v) => ({ id: v.id, payload: v.payload.toUpperCase(), n: v.payload.length }))${o.discard ? '\n  .filter(() => false)' : ''}
  .to(topic('${o.output}'))
export default p
`
}

/** Writes records 0..count-1 into a new one-partition topic of the data directory. */
export async function fillTopic(dataDir: string, topic: string, count: number): Promise<number> {
  const store = LogStore.open(dataDir, { maintenanceIntervalMs: 0 })
  let bytes = 0
  try {
    // fsync=never: only the input's content matters here, and fsyncs would make filling slow.
    const log = store.createTopic(topic, 1, { fsync: 'never' }).partitions[0]!
    const BATCH = 500
    // Recent timestamps: the broker's retention (7 days by record time) must not delete the input,
    // nor the output, which keeps them.
    const now = Date.now()
    const appends: Promise<unknown>[] = []
    for (let i = 0; i < count; i += BATCH) {
      const records = []
      for (let id = i; id < Math.min(count, i + BATCH); id++) {
        const value = inputValue(id)
        bytes += value.length
        records.push({ value, timestamp: now - count + id })
      }
      appends.push(log.append(encodeRecordBatch(records)))
      if (appends.length >= 32) await Promise.all(appends.splice(0))
    }
    await Promise.all(appends)
  } finally {
    await store.close()
  }
  return bytes
}

/** forEachCommitted over partition `p` of `topic` in a data directory no broker has open. */
export async function readCommitted(
  dataDir: string,
  topic: string,
  p: number,
  onRecord: (value: Buffer | null) => void,
): Promise<{ aborted: number; open: number }> {
  const store = LogStore.open(dataDir, { maintenanceIntervalMs: 0 })
  try {
    const log = store.partition(topic, p)
    assert.ok(log, `topic ${topic} has a partition ${p}`)
    return await forEachCommitted(log, (r) => onRecord(r.value))
  } finally {
    await store.close()
  }
}
