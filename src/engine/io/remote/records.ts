// Kafka records (RecordInputs) packed into one ArrayBuffer, so a worker's sink output crosses the
// MessagePort as a single transfer instead of a structured clone of many small Buffers. Per record:
// timestamp (float64, NaN: none), key, value, header count, then each header's key and value; every
// byte string is an int32 length (-1: null) and its bytes. Strings are UTF-8, as Kafka records store them.
import type { RecordInput } from '../../../protocol/records/record.ts'

type Bytes = Buffer | string | null | undefined

function bytesOf(v: Bytes): Buffer | null {
  if (v === null || v === undefined) return null
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

export function packRecords(records: readonly RecordInput[]): ArrayBuffer {
  const parts: (Buffer | null)[][] = []
  let size = 0
  for (const r of records) {
    const fields = [bytesOf(r.key), bytesOf(r.value)]
    for (const h of r.headers ?? []) fields.push(Buffer.from(h.key, 'utf8'), bytesOf(h.value))
    for (const f of fields) size += 4 + (f?.length ?? 0)
    size += 8 + 4
    parts.push(fields)
  }
  const buffer = new ArrayBuffer(size)
  const out = Buffer.from(buffer)
  let at = 0
  const put = (b: Buffer | null): void => {
    at = out.writeInt32BE(b === null ? -1 : b.length, at)
    if (b) at += b.copy(out, at)
  }
  records.forEach((r, i) => {
    const [key, value, ...headers] = parts[i]!
    at = out.writeDoubleBE(r.timestamp ?? Number.NaN, at)
    put(key!)
    put(value!)
    at = out.writeInt32BE(headers.length / 2, at)
    for (const h of headers) put(h)
  })
  return buffer
}

/** The records of packRecords; byte strings are views of `bytes`. */
export function unpackRecords(bytes: Buffer): RecordInput[] {
  const out: RecordInput[] = []
  let at = 0
  const take = (): Buffer | null => {
    const n = bytes.readInt32BE(at)
    at += 4
    if (n < 0) return null
    at += n
    return bytes.subarray(at - n, at)
  }
  while (at < bytes.length) {
    const timestamp = bytes.readDoubleBE(at)
    at += 8
    const r: RecordInput = { key: take(), value: take() }
    if (!Number.isNaN(timestamp)) r.timestamp = timestamp
    const count = bytes.readInt32BE(at)
    at += 4
    if (count > 0) {
      const headers: { key: string; value: Buffer | null }[] = []
      for (let h = 0; h < count; h++) headers.push({ key: take()!.toString('utf8'), value: take() })
      r.headers = headers
    }
    out.push(r)
  }
  return out
}
