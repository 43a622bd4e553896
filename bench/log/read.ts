// Read throughput: a consumer reading the whole log from offset 0 with log.read(offset, maxBytes),
// against raw node:fs reads of the same segment files in chunks of the same size. The log is
// written once per case (untimed) and both sides read it repeatedly, so both are served from the
// page cache: this measures the software path, not the disk.
import fs from 'node:fs'
import path from 'node:path'
import { PartitionLog } from '../../src/log/partition-log.ts'
import { type Measurement, mbPerSec, now } from '../lib/measure.ts'
import { readAt } from '../lib/rawfs.ts'
import { makeScratchDir } from '../lib/tmpdir.ts'
import { logConfig } from './append.ts'
import { nextOffsetAfter } from './workload.ts'

export interface ReadFixture {
  dir: string
  log: PartitionLog
  bytes: number
  /** The segment files, in offset order. */
  files: string[]
}

/** Writes `count` copies of `batch` (fsync=never, 8 in flight, then one flush) and keeps the log open. */
export async function prepareReadLog(batch: Buffer, count: number): Promise<ReadFixture> {
  const dir = makeScratchDir('read')
  const log = PartitionLog.open(dir, logConfig('never'))
  const buffers = Array.from({ length: 8 }, () => Buffer.from(batch))
  let issued = 0
  await Promise.all(
    buffers.map(async (buf) => {
      while (issued < count) {
        issued++
        await log.append(buf)
      }
    }),
  )
  await log.flush()
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => path.join(dir, f))
  return { dir, log, bytes: count * batch.length, files }
}

/** Reads the whole log sequentially, each fetch continuing after the last offset of the previous one. */
export async function riffleRead(f: ReadFixture, maxBytes: number): Promise<Measurement> {
  let offset = f.log.logStartOffset
  const end = f.log.highWatermark
  let bytes = 0
  let fetches = 0
  const start = now()
  while (offset < end) {
    const r = await f.log.read(offset, maxBytes)
    bytes += r.bytes.length
    fetches++
    offset = nextOffsetAfter(r.bytes)
  }
  const ms = now() - start
  if (bytes !== f.bytes) throw new Error(`read ${bytes} bytes from the log, expected ${f.bytes}`)
  return { value: mbPerSec(bytes, ms), details: { ms, fetches, bytes } }
}

/** The baseline: the segment files read front to back in `chunk`-byte reads into fresh buffers. */
export async function rawRead(f: ReadFixture, chunk: number): Promise<Measurement> {
  const fds = f.files.map((file) => fs.openSync(file, 'r'))
  try {
    let bytes = 0
    let reads = 0
    const start = now()
    for (const fd of fds) {
      for (let position = 0; ; ) {
        const buf = await readAt(fd, chunk, position)
        if (buf.length === 0) break
        position += buf.length
        bytes += buf.length
        reads++
      }
    }
    const ms = now() - start
    if (bytes !== f.bytes) throw new Error(`read ${bytes} bytes from the files, expected ${f.bytes}`)
    return { value: mbPerSec(bytes, ms), details: { ms, reads, bytes } }
  } finally {
    for (const fd of fds) fs.closeSync(fd)
  }
}
