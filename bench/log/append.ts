// Append throughput: PartitionLog.append against raw node:fs writes of the same bytes at the same
// fsync cadence. Each side keeps one log (or file) open for the whole case and appends to it in
// slices; the two sides alternate slice by slice so that the machine's drift (a virtual disk whose
// speed varies from second to second) hits both alike. Only the appends are timed: opening,
// closing, and making fsync=never slices durable afterwards are not, on either side.
import fs from 'node:fs'
import path from 'node:path'
import { DEFAULT_LOG_CONFIG, type LogConfig, applyConfig } from '../../src/log/config.ts'
import { PartitionLog } from '../../src/log/partition-log.ts'
import { type Measurement, mbPerSec, now } from '../lib/measure.ts'
import { RawGroupWriter, fdatasync, fsyncDirectory, writeAt } from '../lib/rawfs.ts'
import { makeScratchDir, removeScratchDir, scratchRoot } from '../lib/tmpdir.ts'

export type Fsync = 'always' | 'never'

export interface AppendCase {
  batch: Buffer
  /** Batches appended per measured slice. */
  count: number
  fsync: Fsync
  /** Appends in flight: 1 is a sequential writer awaiting each append. */
  depth: number
}

export const SEGMENT_BYTES = 1024 * 1024 * 1024

export function logConfig(fsync: Fsync): LogConfig {
  return applyConfig(DEFAULT_LOG_CONFIG, {
    fsync,
    'segment.bytes': String(SEGMENT_BYTES),
    'max.message.bytes': String(DEFAULT_LOG_CONFIG.maxMessageBytes),
    'retention.ms': '-1',
  })
}

/** One side of an append comparison: a target that stays open across the slices of a case. */
export interface AppendSession {
  /** Appends `count` batches (untimed work before and after) and returns the slice's throughput. */
  slice(count?: number): Promise<Measurement>
  close(): Promise<void>
}

/**
 * Private copies of the batch, one per writer slot. A slot reuses its buffer only after its previous
 * append resolved (the log rewrites baseOffset in place but is done with the bytes once durable), so
 * no copying happens inside the timed region on either side.
 */
function slotBuffers(c: AppendCase): Buffer[] {
  return Array.from({ length: c.depth }, () => Buffer.from(c.batch))
}

/** Runs one writer loop per buffer; together they append `count` batches. */
async function drive(
  count: number,
  buffers: Buffer[],
  append: (buf: Buffer) => Promise<unknown>,
): Promise<void> {
  let issued = 0
  await Promise.all(
    buffers.map(async (buf) => {
      while (issued < count) {
        issued++
        await append(buf)
      }
    }),
  )
}

/** Removes a case's directory and commits the deletion, so the next case does not pay for it. */
function cleanup(dir: string): void {
  removeScratchDir(dir)
  fsyncDirectory(scratchRoot())
}

export function riffleAppender(c: AppendCase): AppendSession {
  const dir = makeScratchDir('append')
  const log = PartitionLog.open(dir, logConfig(c.fsync))
  const buffers = slotBuffers(c)
  return {
    async slice(count = c.count) {
      const before = { ...log.stats }
      const start = now()
      await drive(count, buffers, (buf) => log.append(buf))
      const ms = now() - start
      const writeRounds = log.stats.writeRounds - before.writeRounds
      const fsyncs = log.stats.fsyncs - before.fsyncs
      if (c.fsync === 'never') await log.flush() // untimed, like the baseline's fdatasync
      return {
        value: mbPerSec(count * c.batch.length, ms),
        details: { ms, appends: count, writeRounds, fsyncs },
      }
    },
    async close() {
      await log.close()
      cleanup(dir)
    },
  }
}

/**
 * The baseline: the same batches appended to one file with node:fs. Sequentially (depth 1) that is
 * `write` then, with fsync=always, `fdatasync`, awaited in turn for every batch. With several appends
 * in flight it is a minimal group-commit loop (RawGroupWriter): one writev per round of queued
 * batches and, with fsync=always, one fdatasync per round, the same calls at the same cadence as
 * the log's writer.
 */
export function rawAppender(c: AppendCase): AppendSession {
  const dir = makeScratchDir('raw')
  const fd = fs.openSync(path.join(dir, 'raw.log'), 'w+')
  fsyncDirectory(dir) // as PartitionLog.open does for its first segment
  const buffers = slotBuffers(c)
  const sync = c.fsync === 'always'
  const group = new RawGroupWriter(fd, sync)
  let position = 0
  return {
    async slice(count = c.count) {
      let writeRounds = 0
      let fsyncs = 0
      let ms: number
      if (c.depth === 1) {
        const buf = buffers[0]!
        const start = now()
        for (let i = 0; i < count; i++) {
          await writeAt(fd, buf, position)
          position += buf.length
          if (sync) {
            await fdatasync(fd)
            fsyncs++
          }
          writeRounds++
        }
        ms = now() - start
      } else {
        const rounds = group.rounds
        const syncs = group.fsyncs
        group.position = position
        const start = now()
        await drive(count, buffers, (buf) => group.append(buf))
        ms = now() - start
        position = group.position
        writeRounds = group.rounds - rounds
        fsyncs = group.fsyncs - syncs
      }
      if (!sync) await fdatasync(fd) // untimed, like the log's flush
      return {
        value: mbPerSec(count * c.batch.length, ms),
        details: { ms, appends: count, writeRounds, fsyncs },
      }
    },
    async close() {
      await fdatasync(fd)
      fs.closeSync(fd)
      cleanup(dir)
    },
  }
}
