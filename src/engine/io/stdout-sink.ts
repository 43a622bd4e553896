// Prints one line per record to stdout (JSON, or text). Lines cannot be taken back, so after a crash
// the output since the last checkpoint is printed again: at-least-once whatever the pipeline asks.
import type { Writable } from 'node:stream'
import type { StreamRecord } from '../model/record.ts'
import type { StdoutSinkSpec } from '../runtime/job.ts'
import type { Plain } from '../serde/plain.ts'
import { lineOf } from './formats.ts'
import type { SinkWriter } from './io.ts'

export class StdoutSinkWriter implements SinkWriter {
  private readonly spec: StdoutSinkSpec
  private readonly out: Writable
  private blocked: Promise<void> | null = null

  constructor(spec: StdoutSinkSpec, out: Writable = process.stdout) {
    this.spec = spec
    this.out = out
  }

  describe(): string {
    return 'stdout'
  }

  write(records: readonly StreamRecord[]): void {
    if (records.length === 0) return
    let text = ''
    for (const r of records) text += `${lineOf(this.spec.format, r.value)}\n`
    if (!this.out.write(text) && !this.blocked)
      this.blocked = new Promise((resolve) =>
        this.out.once('drain', () => {
          this.blocked = null
          resolve()
        }),
      )
  }

  async flush(): Promise<void> {
    await this.blocked
  }

  async prepare(): Promise<Plain> {
    await this.blocked
    return null
  }

  async commit(): Promise<void> {}

  async recover(): Promise<void> {}

  async close(): Promise<void> {
    await this.blocked
  }
}
