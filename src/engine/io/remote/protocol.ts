// The messages between worker-side topic readers and writers (remote-io.ts) and the LogHost in the
// main thread, over one MessagePort. The worker sends requests `{ id, op, ... }`, each answered by
// one reply `{ kind: 'reply', id, result | error }`; the host also sends `{ kind: 'notify', reader }`
// when a partition of a waiting reader got an append. Readers and writers are numbered by the worker
// (unique per port). Record bytes travel as transferred ArrayBuffers, never as Buffers: a cloned
// Buffer arrives as a Uint8Array and drags its whole pool along.
import { type ErrorCode, RiffleError } from '../../../core/errors.ts'
import type { Isolation } from '../../runtime/job.ts'
import type { Plain } from '../../serde/plain.ts'

/** What the host needs of a TopicSourceSpec (decoding stays in the worker). */
export interface HostSourceSpec {
  topic: string
  partitions?: number
  assigned: number[]
  startFrom: 'earliest' | 'latest'
  bounded: boolean
  isolation: Isolation
}

export interface SourceOpened {
  /** Per channel: where a reader without a checkpoint starts (per startFrom). */
  start: number[]
  logStart: number[]
  /** Bounded: the offsets to stop at, captured now. */
  ends: number[] | null
}

/** A channel and the offset to read from. */
export type ChannelFrom = [channel: number, from: number]

export interface Fetched {
  /** Channels whose offset was before the log start (records deleted), and where they now start. */
  moved: ChannelFrom[]
  /** The first channel, in request order, with batches to read; null: none has any. */
  hit: {
    channel: number
    from: number
    limit: number
    /** Whole stored batches, exactly as read. */
    bytes: ArrayBuffer
    aborted: Array<{ producerId: bigint; firstOffset: number }>
  } | null
}

/** Every request: its fields and what its reply carries. */
export interface Requests {
  'source.open': { req: { reader: number; spec: HostSourceSpec }; res: SourceOpened }
  /** Tries `channels` in order; `arm`: if none has data, notify the reader on the next append. */
  'source.fetch': { req: { reader: number; channels: ChannelFrom[]; arm: boolean }; res: Fetched }
  'source.close': { req: { reader: number }; res: null }
  'sink.open': {
    req: { writer: number; topic: string; partitions?: number; exactlyOnce: boolean }
    res: null
  }
  /** Records packed by records.ts; answered once the host's TopicSinkWriter has taken them. */
  'sink.write': { req: { writer: number; records: ArrayBuffer }; res: null }
  'sink.prepare': { req: { writer: number }; res: Plain }
  'sink.commit': { req: { writer: number }; res: null }
  'sink.recover': { req: { writer: number; prepared: Plain | undefined }; res: null }
  'sink.close': { req: { writer: number }; res: null }
}

export type Op = keyof Requests

export type Request = { [K in Op]: { id: number; op: K } & Requests[K]['req'] }[Op]

export interface WireError {
  name: string
  message: string
  code?: ErrorCode
}

export type HostMessage =
  | { kind: 'reply'; id: number; result: unknown }
  | { kind: 'reply'; id: number; error: WireError }
  | { kind: 'notify'; reader: number }

export function toWire(e: unknown): WireError {
  if (e instanceof RiffleError) return { name: e.name, message: e.message, code: e.code }
  if (e instanceof Error) return { name: e.name, message: e.message }
  return { name: 'Error', message: String(e) }
}

/** The host's error, rebuilt in the worker (a RiffleError keeps its code). */
export function fromWire(w: WireError): Error {
  const e = w.code ? new RiffleError(w.code, w.message) : new Error(w.message)
  if (!w.code) e.name = w.name
  return e
}

/** A fresh ArrayBuffer holding exactly `bytes`, to transfer. */
export function transferable(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength)
  new Uint8Array(copy).set(bytes)
  return copy
}
