// Shapes shared by the hand-written codec and the generated message modules. Each generated API module
// exports one `ApiCodec` value so a server can dispatch on (api key, version) through a table without
// knowing any message by name. The schema descriptor types describe the generated `schemas.ts`, a
// plain-data copy of the message layouts kept for tests and tooling; encoders never consult it.

import type { Reader } from './reader.ts'
import type { Writer } from './writer.ts'

/** Encoder/decoder pair for one message (one direction of an API, or a standalone data schema). */
export interface MessageCodec<T> {
  /** Schema name, e.g. `ProduceRequest`. */
  readonly name: string
  // Method syntax on purpose: it keeps ApiCodec<Foo, Bar> assignable to ApiCodec<unknown, unknown>.
  encode(w: Writer, value: T, version: number): void
  decode(r: Reader, version: number): T
}

export interface ApiCodec<Req, Res> {
  readonly apiKey: number
  /** API name without direction, e.g. `Produce`. */
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  /** First version using compact encodings and tagged fields (header v2/v1), or null if none does. */
  readonly firstFlexibleVersion: number | null
  /** The schema marks its newest version as unstable: do not advertise it by default. */
  readonly latestVersionUnstable: boolean
  readonly request: MessageCodec<Req>
  readonly response: MessageCodec<Res>
}

/** What a dispatch table holds: any API's codec, with message types erased. */
export type AnyApiCodec = ApiCodec<unknown, unknown>

/** Whether `version` of `api` uses the flexible (compact + tagged fields) encoding. */
export function isFlexibleVersion(api: AnyApiCodec, version: number): boolean {
  return api.firstFlexibleVersion !== null && version >= api.firstFlexibleVersion
}

/** Field layout, as in Kafka's JSON schemas with names converted to the camelCase property names. */
export interface FieldSchema {
  readonly name: string
  /** Primitive name, struct name, or `[]` + element type. */
  readonly type: string
  readonly versions: string
  readonly nullableVersions?: string
  readonly taggedVersions?: string
  readonly tag?: number
  readonly flexibleVersions?: string
  /** The schema's default as written there (always a string here), when it has one. */
  readonly default?: string
  /** Fields of a struct or struct-array type. */
  readonly fields?: readonly FieldSchema[]
}

export interface MessageSchema {
  readonly name: string
  readonly type: 'request' | 'response' | 'data'
  readonly apiKey?: number
  readonly validVersions: string
  readonly flexibleVersions: string
  readonly fields: readonly FieldSchema[]
}

/** One version's decoder / encoder of a message, as held in the generated per-version tables. */
export type Decoder<T> = (r: Reader) => T
export type Encoder<T> = (w: Writer, value: T) => void

/** A data schema read from its embedded form (int16 version prefix + struct). */
export interface Versioned<T> {
  version: number
  value: T
}
