// Whole-frame entry points: what a broker calls per received frame and per reply. They pick the header
// version from the API key and body version (see headers.ts) and route to the generated codecs through
// the API table, so the server never touches header versions or per-version functions. Results are
// typed by API key: `switch (req.apiKey)` narrows `req.body` to that API's request type.

import { type ApiKeyNumber, type ApiMessages, apiByKey } from '../messages/index.ts'
import { isFlexibleVersion } from './api.ts'
import { ProtocolDecodeError, UnsupportedVersionError } from './errors.ts'
import {
  type RequestHeader,
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
} from './headers.ts'
import { Reader } from './reader.ts'
import { Writer } from './writer.ts'

/** A decoded request, discriminated by `apiKey`. */
export type DecodedRequest = {
  [K in ApiKeyNumber]: {
    apiKey: K
    apiVersion: number
    header: RequestHeader
    body: ApiMessages[K]['request']
  }
}[ApiKeyNumber]

/**
 * The frame names an API key or version this codec does not handle. The header is decoded anyway (its
 * v1 prefix is common to all requests) so the server can answer with the right correlation id, e.g. an
 * ApiVersions v0 response carrying UNSUPPORTED_VERSION, as Kafka brokers do.
 */
export class UnsupportedRequestError extends UnsupportedVersionError {
  readonly header: RequestHeader
  /** False when the API key itself is unknown (rather than just the version). */
  readonly apiKnown: boolean

  constructor(header: RequestHeader, apiName: string | undefined) {
    super(apiName ? `${apiName}Request` : `api key ${header.requestApiKey}`, header.requestApiVersion)
    this.name = 'UnsupportedRequestError'
    this.header = header
    this.apiKnown = apiName !== undefined
  }
}

/** Decodes one request frame (without its size prefix): header, then body. */
export function decodeRequest(frame: Buffer): DecodedRequest {
  if (frame.length < 4) throw new ProtocolDecodeError('RequestHeader', 0, `frame of ${frame.length} byte(s)`)
  const apiKey = frame.readInt16BE(0)
  const apiVersion = frame.readInt16BE(2)
  const api = apiByKey(apiKey)
  if (api === undefined || apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    throw new UnsupportedRequestError(decodeRequestHeader(new Reader(frame), 1), api?.name)
  }
  const r = new Reader(frame)
  const header = decodeRequestHeader(
    r,
    requestHeaderVersion(apiKey, apiVersion, isFlexibleVersion(api, apiVersion)),
  )
  const body = api.request.decode(r, apiVersion)
  return { apiKey, apiVersion, header, body } as DecodedRequest
}

function codecFor(apiKey: number, apiVersion: number, direction: 'Request' | 'Response') {
  const api = apiByKey(apiKey)
  if (api === undefined) throw new UnsupportedVersionError(`api key ${apiKey}`, apiVersion)
  if (apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    throw new UnsupportedVersionError(`${api.name}${direction}`, apiVersion)
  }
  return api
}

/**
 * Encodes a response frame, size prefix included, as chunks for `socket.cork(); write...; uncork()`.
 * Large byte fields (record batches) are the caller's own buffers, not copies.
 */
export function encodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ApiMessages[K]['response'],
): Buffer[] {
  const api = codecFor(apiKey, apiVersion, 'Response')
  const w = new Writer()
  const size = w.reserveInt32()
  encodeResponseHeader(w, correlationId, responseHeaderVersion(apiKey, isFlexibleVersion(api, apiVersion)))
  api.response.encode(w, body, apiVersion)
  w.patchInt32(size, w.length - 4)
  return w.toChunks()
}

/** Encodes a request frame, size prefix included (the client side; used by tests and tools). */
export function encodeRequest<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  header: { correlationId: number; clientId: string | null },
  body: ApiMessages[K]['request'],
): Buffer[] {
  const api = codecFor(apiKey, apiVersion, 'Request')
  const w = new Writer()
  const size = w.reserveInt32()
  const headerVersion = requestHeaderVersion(apiKey, apiVersion, isFlexibleVersion(api, apiVersion))
  encodeRequestHeader(w, { requestApiKey: apiKey, requestApiVersion: apiVersion, ...header }, headerVersion)
  api.request.encode(w, body, apiVersion)
  w.patchInt32(size, w.length - 4)
  return w.toChunks()
}

/** Decodes a response frame (without its size prefix) to the request it answers. */
export function decodeResponse<K extends ApiKeyNumber>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): { correlationId: number; body: ApiMessages[K]['response'] } {
  const api = codecFor(apiKey, apiVersion, 'Response')
  const r = new Reader(frame)
  const { correlationId } = decodeResponseHeader(
    r,
    responseHeaderVersion(apiKey, isFlexibleVersion(api, apiVersion)),
  )
  return { correlationId, body: api.response.decode(r, apiVersion) as ApiMessages[K]['response'] }
}
