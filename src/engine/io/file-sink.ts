// Appends one line per record (JSON lines, or text) to a file. prepare() writes out and fsyncs what
// is buffered and returns the file's length, which the checkpoint stores; with exactly-once,
// recover() cuts the file back to that length, so lines written after the checkpoint (whose input
// is replayed) are not there twice. At-least-once leaves the file as it is. Readers of the file see
// lines before their checkpoint completes: a file has no read_committed.
import fs from 'node:fs'
import path from 'node:path'
import type { StreamRecord } from '../model/record.ts'
import type { FileSinkSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import { lineOf } from './formats.ts'
import type { SinkWriter } from './io.ts'

export class FileSinkWriter implements SinkWriter {
  private readonly spec: FileSinkSpec
  private readonly truncateOnRecover: boolean
  private fh: fs.promises.FileHandle | null = null
  private size = 0
  private buffered: string[] = []

  constructor(spec: FileSinkSpec, options: { exactlyOnce: boolean }) {
    this.spec = spec
    this.truncateOnRecover = options.exactlyOnce
  }

  describe(): string {
    return `file ${this.spec.path}`
  }

  private async open(): Promise<fs.promises.FileHandle> {
    if (!this.fh) {
      await fs.promises.mkdir(path.dirname(path.resolve(this.spec.path)), { recursive: true })
      this.fh = await fs.promises.open(this.spec.path, fs.constants.O_RDWR | fs.constants.O_CREAT)
    }
    return this.fh
  }

  write(records: readonly StreamRecord[]): void {
    for (const r of records) {
      const line = `${lineOf(this.spec.format, r.value)}\n`
      this.buffered.push(line)
    }
  }

  private async writeOut(): Promise<void> {
    if (this.buffered.length === 0) return
    const fh = await this.open()
    const bytes = Buffer.from(this.buffered.join(''), 'utf8')
    this.buffered = []
    let done = 0
    while (done < bytes.length) {
      const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, this.size + done)
      done += bytesWritten
    }
    this.size += bytes.length
  }

  async flush(): Promise<void> {
    await this.writeOut()
  }

  async prepare(): Promise<Plain> {
    await this.writeOut()
    const fh = await this.open()
    await fh.datasync()
    return { size: this.size }
  }

  async commit(): Promise<void> {}

  async recover(prepared: Plain | undefined): Promise<void> {
    const fh = await this.open()
    const { size } = await fh.stat()
    const stored = (prepared as { size?: number } | null | undefined)?.size
    if (stored !== undefined && this.truncateOnRecover && size > stored) {
      await fh.truncate(stored)
      await fh.datasync()
      this.size = stored
    } else this.size = size
  }

  async close(): Promise<void> {
    await this.writeOut().catch(() => {})
    await this.fh?.close()
    this.fh = null
  }
}
