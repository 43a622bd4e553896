// The main thread's side of worker tasks' topic I/O: it answers the requests of remote readers and
// writers (protocol.ts) on every port it serves, with the partition logs of the LogStore it owns.
// Readers get raw batches (HostReader); each writer is a real TopicSinkWriter fed with records the
// worker already encoded, so partitioning and the exactly-once transactions are the embedded ones.
// One writer's requests run one after another, in the order they came. A port that closes (its
// worker ended) takes its readers and writers with it; their open transactions stay open, to be
// aborted by the recover() of the task's next run, as after a crash.
import type { MessagePort, Transferable } from 'node:worker_threads'
import { RiffleError } from '../../../core/errors.ts'
import type { LogStore } from '../../../log/store.ts'
import type { RecordInput } from '../../../protocol/records/record.ts'
import type { Guarantee } from '../../runtime/job.ts'
import { TopicSinkWriter } from '../topic-sink.ts'
import { HostReader } from './host-reader.ts'
import { type HostMessage, type Request, toWire } from './protocol.ts'
import { unpackRecords } from './records.ts'

export interface LogHostOptions {
  store: LogStore
  guarantee: Guarantee
  /** Producer ids for exactly-once topic sinks (the transaction coordinator's). */
  producerIds?: () => Promise<bigint>
}

interface HostWriter {
  writer: TopicSinkWriter
  /** The last request's work; the next one starts after it. Never rejects. */
  queue: Promise<unknown>
}

interface Served {
  port: MessagePort
  readers: Map<number, HostReader>
  writers: Map<number, HostWriter>
  released: Promise<void> | null
}

const noop = (): void => {}

export class LogHost {
  private readonly o: LogHostOptions
  private readonly served = new Set<Served>()
  private closed = false

  constructor(o: LogHostOptions) {
    this.o = o
  }

  serve(port: MessagePort): void {
    if (this.closed) throw new RiffleError('CLOSED', 'the log host is closed')
    const s: Served = { port, readers: new Map(), writers: new Map(), released: null }
    this.served.add(s)
    port.on('message', (m: Request) => void this.handle(s, m))
    port.on('close', () => void this.release(s))
  }

  /** Stops serving: closes every port, waits for the writers' appends in flight; commits nothing. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all([...this.served].map((s) => this.release(s)))
  }

  private release(s: Served): Promise<void> {
    s.released ??= (async () => {
      this.served.delete(s)
      for (const r of s.readers.values()) r.close()
      s.readers.clear()
      const writers = [...s.writers.values()]
      s.writers.clear()
      s.port.close()
      await Promise.allSettled(writers.map((w) => w.queue.then(() => w.writer.close())))
    })()
    return s.released
  }

  private post(s: Served, m: HostMessage, transfer: Transferable[] = []): void {
    if (!s.released) s.port.postMessage(m, transfer)
  }

  private async handle(s: Served, m: Request): Promise<void> {
    let result: unknown
    try {
      result = await this.dispatch(s, m)
    } catch (e) {
      this.post(s, { kind: 'reply', id: m.id, error: toWire(e) })
      return
    }
    const hit = m.op === 'source.fetch' ? (result as { hit: { bytes: ArrayBuffer } | null }).hit : null
    this.post(s, { kind: 'reply', id: m.id, result }, hit ? [hit.bytes] : [])
  }

  private dispatch(s: Served, m: Request): unknown {
    switch (m.op) {
      case 'source.open': {
        if (s.readers.has(m.reader)) throw new Error(`reader ${m.reader} is open already`)
        const reader = new HostReader(this.o.store, m.spec, () =>
          this.post(s, { kind: 'notify', reader: m.reader }),
        )
        s.readers.set(m.reader, reader)
        return reader.opened()
      }
      case 'source.fetch':
        return this.reader(s, m.reader).fetch(m.channels, m.arm)
      case 'source.close':
        s.readers.get(m.reader)?.close()
        s.readers.delete(m.reader)
        return null
      case 'sink.open':
        return this.openWriter(s, m)
      case 'sink.write':
        return this.queue(s, m.writer, (w) => {
          // The records are encoded already: the writer's `encode` hands them on as they are.
          const records = unpackRecords(Buffer.from(m.records)).map((value) => ({ value, timestamp: 0 }))
          w.write(records)
          return w.flush()
        })
      case 'sink.prepare':
        return this.queue(s, m.writer, (w) => w.prepare())
      case 'sink.commit':
        return this.queue(s, m.writer, (w) => w.commit())
      case 'sink.recover':
        return this.queue(s, m.writer, (w) => w.recover(m.prepared))
      case 'sink.close': {
        const done = this.queue(s, m.writer, (w) => w.close())
        s.writers.delete(m.writer)
        return done
      }
      default: {
        const unknown: never = m
        throw new Error(`unknown request ${JSON.stringify(unknown)}`)
      }
    }
  }

  private reader(s: Served, id: number): HostReader {
    const r = s.readers.get(id)
    if (!r) throw new Error(`no reader ${id} on this port`)
    return r
  }

  private openWriter(s: Served, m: Extract<Request, { op: 'sink.open' }>): null {
    if (s.writers.has(m.writer)) throw new Error(`writer ${m.writer} is open already`)
    const transactional = this.o.guarantee === 'exactly-once'
    if (m.exactlyOnce !== transactional)
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `topic ${m.topic}: the task runs ${m.exactlyOnce ? 'exactly-once' : 'at-least-once'} ` +
          `but the log host serves ${this.o.guarantee} output`,
      )
    const writer = new TopicSinkWriter(
      this.o.store,
      { kind: 'topic', topic: m.topic, format: 'bytes', keyFormat: 'bytes', partitions: m.partitions },
      { transactional, producerIds: this.o.producerIds, encode: (r) => r.value as RecordInput },
    )
    s.writers.set(m.writer, { writer, queue: Promise.resolve() })
    return null
  }

  private queue<T>(s: Served, id: number, work: (w: TopicSinkWriter) => Promise<T>): Promise<T> {
    const w = s.writers.get(id)
    if (!w) throw new Error(`no writer ${id} on this port`)
    const run = w.queue.then(() => work(w.writer))
    w.queue = run.then(noop, noop)
    return run
  }
}
