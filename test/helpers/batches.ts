import { checkBatch } from '../../src/protocol/records/header.ts'
// Building and reading back record batches in tests, with exact content checks in mind.
import { type RecordInput, encodeRecordBatch } from '../../src/protocol/records/record.ts'
import { type KafkaRecord, decodeRecordBatch } from '../../src/protocol/records/record.ts'

/** A batch of `count` records whose values name the batch and record: "b<batch>-r<i>". */
export function numberedBatch(
  batch: number,
  count: number,
  opts: { timestamp?: number; valueBytes?: number } = {},
): Buffer {
  const records: RecordInput[] = []
  for (let i = 0; i < count; i++) {
    const tag = `b${batch}-r${i}`
    const pad = opts.valueBytes ? '.'.repeat(Math.max(0, opts.valueBytes - tag.length)) : ''
    records.push({
      key: `k${batch}`,
      value: tag + pad,
      timestamp: opts.timestamp ?? 1_700_000_000_000 + batch,
    })
  }
  return encodeRecordBatch(records)
}

/** Splits concatenated batches and decodes every record. */
export function decodeAll(bytes: Buffer): KafkaRecord[] {
  const out: KafkaRecord[] = []
  for (let pos = 0; pos < bytes.length; ) {
    const size = checkBatch(bytes, pos)
    if (typeof size !== 'number') throw new Error(`bad batch at ${pos}: ${size}`)
    out.push(...decodeRecordBatch(bytes, pos).records)
    pos += size
  }
  return out
}

export const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'))
