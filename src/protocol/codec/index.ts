// The public face of the Kafka wire codec: primitives, headers, framing, whole-frame dispatch, and the
// generated message codecs. Other layers import from here rather than from individual files, so the
// split between hand-written and generated code stays an internal detail.

export {
  type AnyApiCodec,
  type ApiCodec,
  type Decoder,
  type Encoder,
  type FieldSchema,
  isFlexibleVersion,
  type MessageCodec,
  type MessageSchema,
  type Versioned,
} from './api.ts'
export {
  type DecodedRequest,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  UnsupportedRequestError,
} from './dispatch.ts'
export {
  FrameTooLargeError,
  ProtocolDecodeError,
  ProtocolEncodeError,
  UnsupportedVersionError,
} from './errors.ts'
export { DEFAULT_MAX_FRAME_SIZE, FrameSplitter } from './frame-splitter.ts'
export {
  API_VERSIONS_KEY,
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  type RequestHeader,
  type ResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
} from './headers.ts'
export { Reader, ZERO_UUID } from './reader.ts'
export { type Slot, Writer } from './writer.ts'
export * from '../messages/index.ts'
