// The record format of exchange topics, which carry a keyed stream from one stage of a scaled-out
// pipeline to the next (plan/stages.ts). A topic record must bring back exactly the StreamRecord
// that went in (key, value and event time, through the Plain mapping, so bigints, Buffers and
// ±Infinity survive), and the downstream task must know which upstream task wrote it: watermarks
// travel in-band as marks, one per upstream task and partition, and the downstream merges them as
// the minimum over its upstream tasks, just as a source merges its partitions.
//
// Value (JSON text): data `{ w, k, v, t }`, a watermark mark `{ w, m }`, an idle mark `{ w, idle: true }`,
// where w is the writing task. The Kafka key is the JSON of the key, for people reading the topic.
import type { RecordInput } from '../../protocol/records/record.ts'
import type { StreamRecord } from '../model/record.ts'
import { type Plain, fromPlain, toPlain } from '../serde/plain.ts'
import { RecordFormatError } from './formats.ts'

export type ExchangeItem =
  | { kind: 'data'; writer: number; record: StreamRecord }
  | { kind: 'watermark'; writer: number; watermark: number }
  | { kind: 'idle'; writer: number }

export function encodeExchangeRecord(writer: number, r: StreamRecord): RecordInput {
  const key = r.key === undefined ? null : JSON.stringify(toPlain(r.key))
  return {
    key,
    value: JSON.stringify({ w: writer, k: toPlain(r.key), v: toPlain(r.value), t: toPlain(r.timestamp) }),
    timestamp: Number.isFinite(r.timestamp) ? Math.floor(r.timestamp) : Date.now(),
  }
}

export function encodeExchangeWatermark(writer: number, watermark: number): RecordInput {
  return { key: null, value: JSON.stringify({ w: writer, m: toPlain(watermark) }), timestamp: Date.now() }
}

export function encodeExchangeIdle(writer: number): RecordInput {
  return { key: null, value: JSON.stringify({ w: writer, idle: true }), timestamp: Date.now() }
}

/** Decodes one exchange record; a value that is not one (someone else wrote to the topic) is a format error. */
export function decodeExchange(bytes: Buffer | null, origin: string): ExchangeItem {
  let o: { [k: string]: Plain }
  try {
    o = JSON.parse(bytes === null ? 'null' : bytes.toString('utf8'))
  } catch (e) {
    throw new RecordFormatError('exchange', origin, (e as Error).message, { cause: e })
  }
  if (o === null || typeof o !== 'object' || typeof o.w !== 'number')
    throw new RecordFormatError('exchange', origin, 'not a record of an exchange topic')
  const writer = o.w
  if (o.idle === true) return { kind: 'idle', writer }
  if ('m' in o) return { kind: 'watermark', writer, watermark: fromPlain(o.m!) as number }
  const record: StreamRecord = { value: fromPlain(o.v ?? null), timestamp: fromPlain(o.t ?? null) as number }
  if (o.k !== undefined) {
    const key = fromPlain(o.k)
    if (key !== undefined) record.key = key as StreamRecord['key']
  }
  return { kind: 'data', writer, record }
}
