// Produce throughput. Riffle: a pipelined producer (bench/broker/wire.ts) sends pre-encoded Produce
// requests, acks=-1, each holding one batch for every partition of a fsync=always topic, with a
// fixed number of requests in flight. Baseline: the same bytes, the same requests in flight,
// written by the benchmark process itself to one file per partition through a minimal group-commit
// writer (write everything queued with one writev, then one fdatasync, per round and file): the
// I/O the broker's partition writers do, with no network, protocol or broker in the way.
import fs from 'node:fs'
import path from 'node:path'
import { decodeResponse } from '../../src/protocol/codec/dispatch.ts'
import { type Measurement, mbPerSec, now } from '../lib/measure.ts'
import { RawGroupWriter, fdatasync, fsyncDirectory } from '../lib/rawfs.ts'
import { makeScratchDir, removeScratchDir, scratchRoot } from '../lib/tmpdir.ts'
import { type CpuSampler, cpuSampler } from './cpu.ts'
import type { RunningBroker } from './server.ts'
import { WireClient, encodeFrame } from './wire.ts'

export const PRODUCE_VERSION = 9

export interface ProduceShape {
  topic: string
  partitions: number
  /** One batch; every request carries a copy for each partition. */
  batch: Buffer
  recordsPerBatch: number
  /** Requests in flight. */
  depth: number
}

export interface ThroughputSession {
  /** Moves `count` requests' worth of data and returns the throughput. */
  slice(count: number): Promise<Measurement>
  close(): Promise<void>
}

/** A Produce request carrying `batch` for partitions 0..n-1 of `topic`, acks=-1. */
export function produceFrame(topic: string, partitions: number, batch: Buffer): Buffer {
  return encodeFrame(0, PRODUCE_VERSION, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30_000,
    topicData: [
      {
        name: topic,
        partitionData: Array.from({ length: partitions }, (_, index) => ({ index, records: batch })),
      },
    ],
  })
}

/** Throws unless every partition of a Produce response succeeded. */
export function checkProduceResponse(frame: Buffer): void {
  const body = decodeResponse(0, PRODUCE_VERSION, frame).body
  for (const t of body.responses)
    for (const p of t.partitionResponses)
      if (p.errorCode !== 0)
        throw new Error(
          `produce to ${t.name}/${p.index} failed: error ${p.errorCode} ${p.errorMessage ?? ''}`,
        )
}

/** Runs `depth` loops that together complete `count` operations. */
export async function pipeline(
  count: number,
  depth: number,
  op: (slot: number) => Promise<void>,
): Promise<void> {
  let issued = 0
  await Promise.all(
    Array.from({ length: depth }, async (_, slot) => {
      while (issued < count) {
        issued++
        await op(slot)
      }
    }),
  )
}

export async function riffleProducer(broker: RunningBroker, shape: ProduceShape): Promise<ThroughputSession> {
  const client = await WireClient.connect(broker.port)
  // One frame per slot: a slot resends its frame only after the response to the previous send,
  // when the broker has received all of it.
  const frames = Array.from({ length: shape.depth }, () =>
    produceFrame(shape.topic, shape.partitions, shape.batch),
  )
  const cpu: CpuSampler = cpuSampler(broker.pid)
  const requestBytes = shape.batch.length * shape.partitions
  return {
    async slice(count) {
      cpu.start()
      const start = now()
      await pipeline(count, shape.depth, async (slot) =>
        checkProduceResponse(await client.sendFrame(frames[slot]!)),
      )
      const ms = now() - start
      const bytes = count * requestBytes
      return {
        value: mbPerSec(bytes, ms),
        details: {
          ms,
          requests: count,
          bytes,
          msgsPerSec: (count * shape.partitions * shape.recordsPerBatch) / (ms / 1000),
          ...cpu.stop(ms),
        },
      }
    },
    async close() {
      client.close()
    },
  }
}

/** The baseline: one file per partition, each behind a group-commit writer with fdatasync. */
export function rawProducer(shape: ProduceShape): ThroughputSession {
  const dir = makeScratchDir('raw-produce')
  const writers = Array.from({ length: shape.partitions }, (_, p) => {
    const fd = fs.openSync(path.join(dir, `p${p}.log`), 'w+')
    return new RawGroupWriter(fd, true)
  })
  fsyncDirectory(dir)
  const requestBytes = shape.batch.length * shape.partitions
  return {
    async slice(count) {
      const fsyncsBefore = writers.reduce((n, w) => n + w.fsyncs, 0)
      const start = now()
      await pipeline(count, shape.depth, async () => {
        await Promise.all(writers.map((w) => w.append(shape.batch)))
      })
      const ms = now() - start
      const bytes = count * requestBytes
      return {
        value: mbPerSec(bytes, ms),
        details: {
          ms,
          requests: count,
          bytes,
          msgsPerSec: (count * shape.partitions * shape.recordsPerBatch) / (ms / 1000),
          fsyncs: writers.reduce((n, w) => n + w.fsyncs, 0) - fsyncsBefore,
        },
      }
    },
    async close() {
      for (const w of writers) {
        await fdatasync(w.fd)
        fs.closeSync(w.fd)
      }
      removeScratchDir(dir)
      fsyncDirectory(scratchRoot())
    },
  }
}
