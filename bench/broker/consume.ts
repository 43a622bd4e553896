// Consume throughput: reading back what the produce case wrote. Riffle: a consumer over the
// benchmark's own wire client, one Fetch in flight (as Kafka consumers have per broker), every
// partition in each Fetch with Kafka's default limits (max.partition.fetch.bytes 1 MiB,
// fetch.max.bytes 50 MiB), the next offsets taken from the batches received. It walks the batch
// headers of each response (offsets, record counts) but does not decode records. Baseline: the
// same bytes read by the benchmark process from the broker's own segment files, in rounds of one
// read of up to 1 MiB per partition, partition after partition, into fresh buffers (the broker's
// read pattern without the network, the protocol or the broker).
import fs from 'node:fs'
import path from 'node:path'
import { decodeResponse } from '../../src/protocol/codec/dispatch.ts'
import * as L from '../../src/protocol/records/layout.ts'
import { MiB, mbPerSec, now } from '../lib/measure.ts'
import { readAt } from '../lib/rawfs.ts'
import { type CpuSampler, cpuSampler } from './cpu.ts'
import type { ThroughputSession } from './produce.ts'
import type { RunningBroker } from './server.ts'
import { WireClient, encodeFrame } from './wire.ts'

export const FETCH_VERSION = 12
export const PARTITION_FETCH_BYTES = 1 * MiB
export const FETCH_MAX_BYTES = 50 * MiB

export interface ConsumeTarget {
  topic: string
  partitions: number
  /** Bytes to read from the start of each partition: whole batches, as produced. */
  bytesPerPartition: number
  /** Records in those bytes, per partition. */
  recordsPerPartition: number
}

interface BatchWalk {
  nextOffset: number
  records: number
}

/** Walks whole batches in `bytes`: the offset after the last one and the number of records. */
function walkBatches(bytes: Buffer): BatchWalk {
  let pos = 0
  let nextOffset = -1
  let records = 0
  while (pos + L.LOG_OVERHEAD <= bytes.length) {
    const size = bytes.readInt32BE(pos + L.BATCH_LENGTH) + L.LOG_OVERHEAD
    if (pos + size > bytes.length) break // a partial batch at the end (Kafka allows it)
    nextOffset =
      Number(bytes.readBigInt64BE(pos + L.BASE_OFFSET)) + bytes.readInt32BE(pos + L.LAST_OFFSET_DELTA) + 1
    records += bytes.readInt32BE(pos + L.RECORDS_COUNT)
    pos += size
  }
  return { nextOffset, records }
}

export async function riffleConsumer(
  broker: RunningBroker,
  target: ConsumeTarget,
): Promise<ThroughputSession> {
  const client = await WireClient.connect(broker.port)
  const cpu: CpuSampler = cpuSampler(broker.pid)
  const fetchFrame = (offsets: number[], wanted: boolean[]): Buffer =>
    encodeFrame(1, FETCH_VERSION, {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1n },
      maxWaitMs: 500,
      minBytes: 1,
      maxBytes: FETCH_MAX_BYTES,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: target.topic,
          topicId: '00000000-0000-0000-0000-000000000000',
          partitions: offsets
            .map((offset, partition) => ({
              partition,
              currentLeaderEpoch: -1,
              fetchOffset: BigInt(offset),
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: PARTITION_FETCH_BYTES,
              replicaDirectoryId: '00000000-0000-0000-0000-000000000000',
            }))
            .filter((_, p) => wanted[p]),
        },
      ],
      forgottenTopicsData: [],
      rackId: '',
    })
  return {
    /** Reads every partition from offset 0 up to `target.recordsPerPartition`; `count` is unused. */
    async slice() {
      const offsets = new Array<number>(target.partitions).fill(0)
      const wanted = new Array<boolean>(target.partitions).fill(true)
      let bytes = 0
      let records = 0
      let fetches = 0
      cpu.start()
      const start = now()
      while (wanted.some((w) => w)) {
        const frame = await client.sendFrame(fetchFrame(offsets, wanted))
        fetches++
        const body = decodeResponse(1, FETCH_VERSION, frame).body
        if (body.errorCode !== 0) throw new Error(`fetch failed: error ${body.errorCode}`)
        for (const t of body.responses) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0)
              throw new Error(`fetch ${t.topic}/${p.partitionIndex}: error ${p.errorCode}`)
            if (!p.records || p.records.length === 0) continue
            const walk = walkBatches(p.records)
            if (walk.nextOffset < 0) continue
            bytes += p.records.length
            records += walk.records
            offsets[p.partitionIndex] = walk.nextOffset
            if (walk.nextOffset >= target.recordsPerPartition) wanted[p.partitionIndex] = false
          }
        }
      }
      const ms = now() - start
      return {
        value: mbPerSec(bytes, ms),
        details: { ms, bytes, records, fetches, msgsPerSec: records / (ms / 1000), ...cpu.stop(ms) },
      }
    },
    async close() {
      client.close()
    },
  }
}

/** The .log files of one partition of `topic` in the broker's data directory, in offset order. */
function segmentFiles(dataDir: string, topic: string, partition: number): string[] {
  const dir = path.join(dataDir, 'topics', topic, String(partition))
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => path.join(dir, f))
}

/** The baseline: the broker's segment files read directly, in the broker's read pattern. */
export function rawConsumer(dataDir: string, target: ConsumeTarget): ThroughputSession {
  return {
    async slice() {
      const files = Array.from({ length: target.partitions }, (_, p) =>
        segmentFiles(dataDir, target.topic, p),
      )
      const fds = files.map((list) => list.map((f) => fs.openSync(f, 'r')))
      try {
        // Per partition: the file being read, the position in it, and the bytes still wanted.
        const cursors = fds.map((list) => ({ list, file: 0, position: 0, left: target.bytesPerPartition }))
        let bytes = 0
        let reads = 0
        const start = now()
        for (let active = true; active; ) {
          active = false
          for (const c of cursors) {
            if (c.left <= 0 || c.file >= c.list.length) continue
            const buf = await readAt(c.list[c.file]!, Math.min(PARTITION_FETCH_BYTES, c.left), c.position)
            reads++
            if (buf.length === 0) {
              c.file++
              c.position = 0
            } else {
              c.position += buf.length
              c.left -= buf.length
              bytes += buf.length
            }
            active = true
          }
        }
        const ms = now() - start
        const expected = target.bytesPerPartition * target.partitions
        if (bytes !== expected) throw new Error(`read ${bytes} bytes of segment files, expected ${expected}`)
        return {
          value: mbPerSec(bytes, ms),
          details: {
            ms,
            bytes,
            reads,
            msgsPerSec: (target.recordsPerPartition * target.partitions) / (ms / 1000),
          },
        }
      } finally {
        for (const list of fds) for (const fd of list) fs.closeSync(fd)
      }
    },
    async close() {},
  }
}
