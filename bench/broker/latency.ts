// Produce-to-consume latency at a fixed, moderate rate. Riffle: in this process, a producer sends
// each message as its own Produce request (acks=-1, a one-record batch whose value starts with the
// send time) at `rate` messages per second on a schedule that does not wait for acks, while a
// consumer on its own connection long-polls (Fetch maxWaitMs 500, minBytes 1) from the end of the
// log; a message's latency is the time the Fetch response holding it was received minus its send
// time, on one clock (performance.now()). Baseline: the same messages at the same schedule appended
// to a file through the minimal group-commit writer (write + fdatasync per round); a message's
// latency is from the append call to the end of the fdatasync that made it durable. That is the
// floor set by the disk: a consumer of a fsync=always topic only sees durable data.
import fs from 'node:fs'
import path from 'node:path'
import { decodeResponse } from '../../src/protocol/codec/dispatch.ts'
import * as L from '../../src/protocol/records/layout.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../../src/protocol/records/record.ts'
import { type Measurement, now } from '../lib/measure.ts'
import { RawGroupWriter, fdatasync, fsyncDirectory } from '../lib/rawfs.ts'
import { makeScratchDir, removeScratchDir, scratchRoot } from '../lib/tmpdir.ts'
import { FETCH_VERSION } from './consume.ts'
import { checkProduceResponse, produceFrame } from './produce.ts'
import type { RunningBroker } from './server.ts'
import { WireClient, encodeFrame } from './wire.ts'

export interface LatencyRun {
  rate: number
  ms: number
  recordBytes: number
}

export interface LatencySession {
  run(r: LatencyRun): Promise<Measurement>
  close(): Promise<void>
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}

/** p50, p99 and max of latencies in ms, as a Measurement whose value is the p50. */
export function latencyMeasurement(latencies: number[], extra: Record<string, number> = {}): Measurement {
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    value: quantile(sorted, 0.5),
    details: {
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      count: sorted.length,
      ...extra,
    },
  }
}

/**
 * Calls `send(i)` for i = 0..total-1 at `rate` per second from now on: each timer tick sends every
 * message already due, so a late tick catches up instead of shifting the schedule.
 */
export function paced(rate: number, total: number, send: (i: number) => void): Promise<void> {
  const start = now()
  let i = 0
  return new Promise((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((now() - start) * rate) / 1000) + 1)
      while (i < due) send(i++)
      if (i >= total) resolve()
      else setTimeout(tick, Math.max(0, (i * 1000) / rate - (now() - start)))
    }
    tick()
  })
}

/** A one-record batch whose value is `bytes` long and starts with `sentAt` (float64, little-endian). */
function stampedBatch(bytes: number, sentAt: number, pad: Buffer): Buffer {
  const value = Buffer.allocUnsafe(bytes)
  pad.copy(value, 8, 0, bytes - 8)
  value.writeDoubleLE(sentAt, 0)
  return encodeRecordBatch([{ key: null, value, timestamp: Date.now() }])
}

/** Calls `out` with the send time of every record in `bytes` (whole batches); returns the next offset. */
function stampsIn(bytes: Buffer, out: (sentAt: number) => void): number {
  let next = -1
  for (let pos = 0; pos + L.LOG_OVERHEAD <= bytes.length; ) {
    const size = bytes.readInt32BE(pos + L.BATCH_LENGTH) + L.LOG_OVERHEAD
    if (pos + size > bytes.length) break
    for (const r of decodeRecordBatch(bytes, pos).records) out(r.value!.readDoubleLE(0))
    next =
      Number(bytes.readBigInt64BE(pos + L.BASE_OFFSET)) + bytes.readInt32BE(pos + L.LAST_OFFSET_DELTA) + 1
    pos += size
  }
  return next
}

export async function riffleLatency(broker: RunningBroker, topic: string): Promise<LatencySession> {
  const producer = await WireClient.connect(broker.port)
  const consumer = await WireClient.connect(broker.port)
  const pad = Buffer.alloc(4096, 0x61)
  const fetchFrame = (offset: number): Buffer =>
    encodeFrame(1, FETCH_VERSION, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: 50 * 1024 * 1024,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic,
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: [
            {
              partition: 0,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(offset),
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: 1024 * 1024,
              replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    })
  /** The log end offset: the high watermark in the answer to a Fetch at offset 0. */
  const endOffset = async (): Promise<number> => {
    const frame = await consumer.sendFrame(fetchFrame(0))
    const p = decodeResponse(1, FETCH_VERSION, frame).body.responses[0]!.partitions[0]!
    return Number(p.highWatermark)
  }
  return {
    async run({ rate, ms, recordBytes }) {
      const total = Math.round((rate * ms) / 1000)
      const latencies: number[] = []
      let offset = await endOffset()
      let stop = false
      let fetches = 0
      // The consumer: one long-polling Fetch in flight until every message has been seen.
      const consuming = (async () => {
        while (!stop && latencies.length < total) {
          const frame = await consumer.sendFrame(fetchFrame(offset))
          const received = now()
          fetches++
          const p = decodeResponse(1, FETCH_VERSION, frame).body.responses[0]!.partitions[0]!
          if (p.errorCode !== 0) throw new Error(`fetch failed: error ${p.errorCode}`)
          if (p.records && p.records.length > 0) {
            const next = stampsIn(p.records, (sentAt) => latencies.push(received - sentAt))
            if (next >= 0) offset = next
          }
        }
      })()
      const acks: Promise<void>[] = []
      await paced(rate, total, () => {
        const batch = stampedBatch(recordBytes, now(), pad)
        acks.push(producer.sendFrame(produceFrame(topic, 1, batch)).then(checkProduceResponse))
      })
      await Promise.all(acks)
      const deadline = setTimeout(() => {
        stop = true
      }, 10_000)
      await consuming
      clearTimeout(deadline)
      if (latencies.length !== total) throw new Error(`consumed ${latencies.length} of ${total} messages`)
      return latencyMeasurement(latencies, { sent: total, fetches })
    },
    async close() {
      producer.close()
      consumer.close()
    },
  }
}

/** The baseline: the same schedule through a group-commit writer with fdatasync on one file. */
export function rawLatency(): LatencySession {
  const dir = makeScratchDir('raw-latency')
  const fd = fs.openSync(path.join(dir, 'p0.log'), 'w+')
  fsyncDirectory(dir)
  const writer = new RawGroupWriter(fd, true)
  const pad = Buffer.alloc(4096, 0x61)
  return {
    async run({ rate, ms, recordBytes }) {
      const total = Math.round((rate * ms) / 1000)
      const latencies: number[] = []
      const fsyncs = writer.fsyncs
      const done: Promise<void>[] = []
      await paced(rate, total, () => {
        const sentAt = now()
        const batch = stampedBatch(recordBytes, sentAt, pad)
        done.push(writer.append(batch).then(() => void latencies.push(now() - sentAt)))
      })
      await Promise.all(done)
      return latencyMeasurement(latencies, { sent: total, fsyncs: writer.fsyncs - fsyncs })
    },
    async close() {
      await fdatasync(fd)
      fs.closeSync(fd)
      removeScratchDir(dir)
      fsyncDirectory(scratchRoot())
    },
  }
}
