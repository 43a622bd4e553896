// The keyed exchange between the tasks of two stages of a parallel run, in memory: one MessagePort
// per (upstream task, downstream task), so each pair keeps its order. Upstream, the stage's keyBy
// labels every record with the downstream task its key hashes to (record.partition), and the
// ChannelWriter (a SinkWriter) sends it there; downstream, a ChannelReader (a SourceReader) has one
// input channel per upstream task, so watermarks merge as their minimum as for topic partitions.
//
// Checkpoints use aligned barriers (Flink's): a checkpoint makes every writer send a barrier after
// the records before it; a reader stops taking a channel's records once its barrier has come, and
// the downstream task checkpoints once every channel has delivered that barrier (alignedAt). No
// record sent before a barrier is then missing from the downstream snapshot, and none sent after it
// is in it, so the snapshots of all tasks describe one moment and the channels need no state.
//
// Backpressure: a writer has at most WINDOW messages in flight per channel; the reader acknowledges
// each one as the task takes it, and flush() (which the task awaits after every batch) waits for
// room. Records travel serialised with v8.serialize, which keeps Buffers, bigints, Maps and -0;
// between two tasks of one thread (task t of both stages) they are handed over as they are.
import { deserialize, serialize } from 'node:v8'
import type { SinkWriter, SourceBatch, SourceReader } from '../io/io.ts'
import type { Key, StreamRecord } from '../model/record.ts'
import type { Plain } from '../serde/plain.ts'

/** Messages in flight per channel before the writer waits. */
const WINDOW = 32
/** Records per data message. */
const MESSAGE_RECORDS = 4000

/** Writer to reader. A data message holds v8-serialised [key, value, timestamp] triples. */
export type ChannelMessage =
  | { t: 'data'; bytes: Uint8Array }
  | { t: 'data'; records: [Key | undefined, unknown, number][] }
  | { t: 'wm'; w: number }
  | { t: 'idle' }
  | { t: 'barrier'; id: number }
  | { t: 'end' }

/** Reader to writer: one message taken. */
export type ChannelAck = { t: 'ack' }

/** One end of a channel: a MessagePort to another thread, or a local port within this one. */
export interface ChannelPort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (message: unknown) => void): unknown
  close(): void
}

/** An end of a channel within one thread: messages are handed over as they are, in order. */
class LocalPort implements ChannelPort {
  peer: LocalPort | null = null
  listener: ((message: unknown) => void) | null = null

  postMessage(message: unknown): void {
    const peer = this.peer
    // Later, as a MessagePort would deliver it: never inside the sender's call.
    if (peer) queueMicrotask(() => peer.listener?.(message))
  }

  on(_event: 'message', listener: (message: unknown) => void): this {
    this.listener = listener
    return this
  }

  close(): void {
    if (this.peer) this.peer.peer = null
    this.peer = null
  }
}

/** Both ends of a channel between two tasks of this thread. */
export function localChannel(): [ChannelPort, ChannelPort] {
  const a = new LocalPort()
  const b = new LocalPort()
  a.peer = b
  b.peer = a
  return [a, b]
}

function isLocal(port: ChannelPort): boolean {
  return port instanceof LocalPort
}

/** The ids of checkpoints, shared by a task's storage and its channels (barriers carry them). */
export interface CheckpointCounter {
  /** The id of the last checkpoint written or restored (0: none). */
  last: number
}

interface Outgoing {
  port: ChannelPort
  local: boolean
  buffer: [Key | undefined, unknown, number][]
  inFlight: number
}

export class ChannelWriter implements SinkWriter {
  /** Barriers, not transactions, delimit checkpoints here: nothing waits for a commit. */
  readonly immediate = true
  private readonly out: Outgoing[]
  private readonly counter: CheckpointCounter
  private readonly name: string
  private readonly finished: () => boolean
  private room: (() => void) | null = null
  private lastMark: number | 'idle' | null = null
  private closed = false

  /** `finished`: whether the task ended its input (close() then tells the readers; a stop does not). */
  constructor(ports: ChannelPort[], counter: CheckpointCounter, name: string, finished: () => boolean) {
    this.counter = counter
    this.name = name
    this.finished = finished
    this.out = ports.map((port) => {
      const o: Outgoing = { port, local: isLocal(port), buffer: [], inFlight: 0 }
      port.on('message', (m) => {
        if ((m as ChannelAck).t !== 'ack') return
        o.inFlight--
        const wake = this.room
        this.room = null
        wake?.()
      })
      return o
    })
  }

  describe(): string {
    return `exchange ${this.name}`
  }

  write(records: readonly StreamRecord[]): void {
    const n = this.out.length
    for (const r of records) {
      const target = r.partition ?? 0
      if (!(target >= 0 && target < n))
        throw new Error(
          `${this.describe()}: record for task ${target} of ${n} (keyBy partitions do not match)`,
        )
      const o = this.out[target]!
      o.buffer.push([r.key, r.value, r.timestamp])
      if (o.buffer.length >= MESSAGE_RECORDS && o.inFlight < WINDOW) this.send(o)
    }
  }

  watermark(watermark: number): void {
    if (this.lastMark === watermark) return
    this.lastMark = watermark
    this.broadcast({ t: 'wm', w: watermark })
  }

  idle(): void {
    if (this.lastMark === 'idle') return
    this.lastMark = 'idle'
    this.broadcast({ t: 'idle' })
  }

  /** Control messages follow the data before them, so buffered records go first. */
  private broadcast(m: ChannelMessage): void {
    for (const o of this.out) {
      if (o.buffer.length > 0) this.send(o)
      o.port.postMessage(m)
    }
  }

  private send(o: Outgoing): void {
    o.inFlight++
    o.port.postMessage(
      (o.local
        ? { t: 'data', records: o.buffer }
        : { t: 'data', bytes: serialize(o.buffer) }) satisfies ChannelMessage,
    )
    o.buffer = []
  }

  async flush(): Promise<void> {
    for (const o of this.out) {
      while (o.inFlight >= WINDOW) await new Promise<void>((resolve) => (this.room = resolve))
      if (o.buffer.length > 0) this.send(o)
    }
  }

  /** The barrier of the checkpoint being taken, after everything written before it. */
  async prepare(): Promise<Plain> {
    await this.flush()
    this.broadcast({ t: 'barrier', id: this.counter.last + 1 })
    return null
  }

  async commit(): Promise<void> {}

  async recover(): Promise<void> {}

  /** After the task's final checkpoint: the end of this writer's output. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (!this.finished()) return
    await this.flush()
    this.broadcast({ t: 'end' })
  }
}

interface Incoming {
  port: ChannelPort
  queue: ChannelMessage[]
  /** Records of the data message being taken, and how many are taken. */
  records: [Key | undefined, unknown, number][] | null
  taken: number
  /** The barrier this channel stopped at, until the checkpoint is taken. */
  barrier: number | null
  ended: boolean
}

export class ChannelReader implements SourceReader {
  private readonly in: Incoming[]
  private readonly name: string
  private next = 0
  private wake: (() => void) | null = null

  /** `arrived` is called on every message (a barrier may make a checkpoint due). */
  constructor(ports: ChannelPort[], name: string, arrived: () => void) {
    this.name = name
    this.in = ports.map((port) => {
      const c: Incoming = { port, queue: [], records: null, taken: 0, barrier: null, ended: false }
      port.on('message', (message) => {
        const m = message as ChannelMessage
        // A barrier or the end behind nothing takes effect at once, so alignment needs no poll
        // (a task reads nothing while it waits for its first checkpoint).
        const caughtUp = c.queue.length === 0 && c.records === null && c.barrier === null
        if (caughtUp && m.t === 'barrier') c.barrier = m.id
        else if (caughtUp && m.t === 'end') c.ended = true
        else c.queue.push(m)
        const wake = this.wake
        this.wake = null
        wake?.()
        arrived()
      })
      return c
    })
  }

  get partitions(): number {
    return this.in.length
  }

  get finished(): boolean {
    return this.in.every((c) => c.ended)
  }

  describe(): string {
    return `exchange ${this.name}`
  }

  /** Whether every channel has delivered barrier `id` (or ended): the task may checkpoint `id`. */
  alignedAt(id: number): boolean {
    return this.in.every((c) => c.ended || c.barrier === id)
  }

  async poll(maxRecords: number): Promise<SourceBatch | null> {
    const n = this.in.length
    for (let i = 0; i < n; i++) {
      const channel = (this.next + i) % n
      const batch = this.take(channel, maxRecords)
      if (batch) {
        this.next = (channel + 1) % n
        return batch
      }
    }
    return null
  }

  /** The next records or mark of one channel, unless it waits at a barrier. */
  private take(channel: number, max: number): SourceBatch | null {
    const c = this.in[channel]!
    while (c.barrier === null && !c.ended) {
      if (c.records) {
        const end = Math.min(c.records.length, c.taken + max)
        const records: StreamRecord[] = []
        for (let i = c.taken; i < end; i++) {
          const [key, value, timestamp] = c.records[i]!
          records.push(key === undefined ? { value, timestamp } : { key, value, timestamp })
        }
        c.taken = end
        if (end === c.records.length) c.records = null
        return { partition: channel, records, bad: [] }
      }
      const m = c.queue.shift()
      if (m === undefined) return null
      switch (m.t) {
        case 'data':
          c.port.postMessage({ t: 'ack' } satisfies ChannelAck)
          c.records =
            'records' in m ? m.records : (deserialize(m.bytes) as [Key | undefined, unknown, number][])
          c.taken = 0
          break
        case 'wm':
          return { partition: channel, records: [], bad: [], marks: [{ channel, watermark: m.w }] }
        case 'idle':
          return { partition: channel, records: [], bad: [], marks: [{ channel, idle: true }] }
        case 'barrier':
          c.barrier = m.id
          break
        case 'end':
          c.ended = true
          c.port.close()
          break
      }
    }
    return null
  }

  waitForData(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.in.some((c) => c.queue.length > 0 && c.barrier === null))
      return Promise.resolve()
    return new Promise((resolve) => {
      const done = (): void => {
        signal.removeEventListener('abort', done)
        resolve()
      }
      this.wake = done
      signal.addEventListener('abort', done)
    })
  }

  /** Taken while checkpointing: the barrier is past, every channel flows again. */
  position(): Plain {
    for (const c of this.in) c.barrier = null
    return null
  }

  restore(): void {}

  async close(): Promise<void> {
    for (const c of this.in) c.port.close()
  }
}
