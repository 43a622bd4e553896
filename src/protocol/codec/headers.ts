// Request and response headers, hand-written because their version is not carried on the wire: it
// follows from the API key and the body version, with two quirks a generic generator would get wrong.
// The request header's client id keeps its int16 length even in the flexible header v2 (so any broker
// can read the header of any ApiVersions request), and ApiVersions responses always use header v0
// (a client that does not yet know the broker's versions must be able to parse the reply).

import type { Reader } from './reader.ts'
import type { Writer } from './writer.ts'

export const API_VERSIONS_KEY = 18
const CONTROLLED_SHUTDOWN_KEY = 7

export interface RequestHeader {
  requestApiKey: number
  requestApiVersion: number
  correlationId: number
  /** Absent (null) in header v0. */
  clientId: string | null
}

export interface ResponseHeader {
  correlationId: number
}

/** Request header version: 2 for flexible bodies, 1 otherwise, 0 only for ControlledShutdown v0. */
export function requestHeaderVersion(apiKey: number, apiVersion: number, flexible: boolean): 0 | 1 | 2 {
  if (flexible) return 2
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0
  return 1
}

/** Response header version: 1 for flexible bodies, except ApiVersions which always uses 0. */
export function responseHeaderVersion(apiKey: number, flexible: boolean): 0 | 1 {
  return flexible && apiKey !== API_VERSIONS_KEY ? 1 : 0
}

export function decodeRequestHeader(r: Reader, headerVersion: number): RequestHeader {
  const requestApiKey = r.int16('RequestHeader.requestApiKey')
  const requestApiVersion = r.int16('RequestHeader.requestApiVersion')
  const correlationId = r.int32('RequestHeader.correlationId')
  const clientId = headerVersion >= 1 ? r.nullableString('RequestHeader.clientId') : null
  if (headerVersion >= 2) r.skipTaggedFields('RequestHeader')
  return { requestApiKey, requestApiVersion, correlationId, clientId }
}

export function encodeRequestHeader(w: Writer, h: RequestHeader, headerVersion: number): void {
  w.int16(h.requestApiKey)
  w.int16(h.requestApiVersion)
  w.int32(h.correlationId)
  if (headerVersion >= 1) w.nullableString(h.clientId, 'RequestHeader.clientId')
  if (headerVersion >= 2) w.uvarint(0)
}

export function decodeResponseHeader(r: Reader, headerVersion: number): ResponseHeader {
  const correlationId = r.int32('ResponseHeader.correlationId')
  if (headerVersion >= 1) r.skipTaggedFields('ResponseHeader')
  return { correlationId }
}

export function encodeResponseHeader(w: Writer, correlationId: number, headerVersion: number): void {
  w.int32(correlationId)
  if (headerVersion >= 1) w.uvarint(0)
}
