// The seam between the task loop and the outside world. A task sees sources as SourceReaders and
// sinks as SinkWriters and nothing else: the embedded implementations read and write the LogStore
// directly, and a task moved into a worker thread gets proxies of the same interfaces over a
// MessagePort. Positions and prepared sink state are plain data, because they go into checkpoints.
import type { StreamRecord, ValueBatch } from '../model/record.ts'
import type { Plain } from '../serde/plain.ts'
import type { RecordFormatError } from './formats.ts'

export type { ValueBatch }

/** A record a source could not decode, with its raw bytes (for a dead-letter topic). */
export interface BadRecord {
  partition: number
  /** Offset in the topic partition, line number in a file, index for a generator. */
  offset: number
  timestamp: number
  key: Buffer | null
  value: Buffer | null
  error: RecordFormatError
}

/** A watermark (or idleness) of one input channel, for sources that receive them from upstream. */
export type ChannelMark = { channel: number; watermark: number } | { channel: number; idle: true }

export interface SourceBatch {
  /** The input channel (topic partition, or upstream task of an exchange) the records come from. */
  partition: number
  records: StreamRecord[]
  bad: BadRecord[]
  /** Exchange sources: channel watermarks that follow the records, in order. */
  marks?: ChannelMark[]
}

export interface SourceReader {
  /** Input channels: one per topic partition, so per-partition watermarks merge as the minimum. */
  readonly partitions: number
  /** True once a bounded source has handed out everything it will ever have. */
  readonly finished: boolean
  /**
   * Up to `maxRecords` records of one partition that are available now (null: none). The position
   * advances past what is returned: call it again only once the graph has processed the batch.
   */
  poll(maxRecords: number): Promise<SourceBatch | null>
  /** Optional: poll() as a ValueBatch (same positions and bounds); the task loop uses it when present. */
  pollValues?(maxRecords: number): Promise<ValueBatch | null>
  /** Resolves when more data may be available, or when `signal` aborts. */
  waitForData(signal: AbortSignal): Promise<void>
  /** Where to continue: stored in checkpoints. */
  position(): Plain
  restore(position: Plain): void
  /** A short description for progress lines and errors. */
  describe(): string
  close(): Promise<void>
}

/**
 * A sink with two-phase commit: records are written as they come (bounded in flight), `prepare`
 * makes everything written so far durable and returns what the checkpoint must remember, and
 * `commit` — called only once that checkpoint is durable — makes the output visible. `recover`
 * runs before anything else with what the latest checkpoint remembered, to finish a commit a crash
 * interrupted and to undo output written after that checkpoint.
 */
export interface SinkWriter {
  /**
   * True if what is written after prepare() may go out before commit() (a writer without
   * transactions, such as an exchange channel): the task then does not hold it back.
   */
  readonly immediate?: boolean
  write(records: readonly StreamRecord[]): void
  /** The output watermark of the sink's node (exchange sinks pass it on; others ignore it). */
  watermark?(watermark: number): void
  /** The sink's node went idle. */
  idle?(): void
  /** Sends buffered records and waits until no more than the in-flight bound is outstanding. */
  flush(): Promise<void>
  prepare(): Promise<Plain>
  commit(): Promise<void>
  recover(prepared: Plain | undefined): Promise<void>
  describe(): string
  /** Waits for writes in flight; commits nothing. */
  close(): Promise<void>
}
