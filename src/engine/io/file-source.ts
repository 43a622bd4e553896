// Reads a JSON-lines (or plain text) file line by line from a byte position. Without `follow` it
// stops at the end of the file; with it, it waits for lines appended later (polling the size). A
// last line without a newline counts only once the file is not followed (it may still be growing).
import fs from 'node:fs'
import type { Clock } from '../../core/time.ts'
import type { StreamRecord } from '../model/record.ts'
import type { FileSourceSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import { isRecordFormatError, parseLine } from './formats.ts'
import type { BadRecord, SourceBatch, SourceReader } from './io.ts'

const CHUNK = 1024 * 1024
const FOLLOW_POLL_MS = 200

interface FilePosition {
  offset: number
  line: number
}

export class FileSourceReader implements SourceReader {
  readonly partitions = 1
  private readonly spec: FileSourceSpec
  private readonly clock: Clock
  private pos: FilePosition = { offset: 0, line: 0 }
  private atEnd = false

  constructor(spec: FileSourceSpec, clock: Clock) {
    this.spec = spec
    this.clock = clock
  }

  get finished(): boolean {
    return !this.spec.follow && this.atEnd
  }

  describe(): string {
    return `file ${this.spec.path}`
  }

  async poll(maxRecords: number): Promise<SourceBatch | null> {
    let fh: fs.promises.FileHandle
    try {
      fh = await fs.promises.open(this.spec.path, 'r')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && this.spec.follow) return null
      throw e
    }
    const records: StreamRecord[] = []
    const bad: BadRecord[] = []
    try {
      let buf = Buffer.alloc(0)
      let eof = false
      while (records.length + bad.length < maxRecords) {
        let nl = buf.indexOf(10)
        if (nl < 0) {
          if (!eof) {
            const chunk = Buffer.allocUnsafe(CHUNK)
            const { bytesRead } = await fh.read(chunk, 0, CHUNK, this.pos.offset + buf.length)
            eof = bytesRead === 0
            buf = Buffer.concat([buf, chunk.subarray(0, bytesRead)])
            continue
          }
          if (this.spec.follow || buf.length === 0) {
            this.atEnd = true
            break
          }
          nl = buf.length // the last line has no newline
        }
        const consumed = Math.min(nl + 1, buf.length)
        const text = buf.subarray(0, nl).toString('utf8').replace(/\r$/, '')
        const at = this.pos
        buf = buf.subarray(consumed)
        this.pos = { offset: at.offset + consumed, line: at.line + 1 }
        if (text.trim() === '') continue
        try {
          const value = parseLine(this.spec.format, text, `${this.spec.path}:${at.line + 1}`)
          records.push({ value, timestamp: this.clock.now() })
        } catch (e) {
          if (!isRecordFormatError(e)) throw e
          bad.push({
            partition: 0,
            offset: at.line + 1,
            timestamp: this.clock.now(),
            key: null,
            value: Buffer.from(text),
            error: e,
          })
        }
      }
    } finally {
      await fh.close()
    }
    if (records.length === 0 && bad.length === 0) return null
    return { partition: 0, records, bad }
  }

  waitForData(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve()
      const done = (): void => {
        clearTimeout(timer)
        signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = this.finished ? undefined : setTimeout(done, FOLLOW_POLL_MS)
      signal.addEventListener('abort', done)
    })
  }

  position(): Plain {
    return { ...this.pos }
  }

  restore(position: Plain): void {
    this.pos = { ...(position as unknown as FilePosition) }
    this.atEnd = false
  }

  async close(): Promise<void> {}
}
