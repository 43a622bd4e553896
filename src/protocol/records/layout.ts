// Byte layout of a Kafka v2 record batch header (magic 2). All integers are big-endian.
// The CRC-32C covers everything from `attributes` to the end of the batch, so the log may rewrite
// baseOffset and partitionLeaderEpoch without touching the CRC.

export const BASE_OFFSET = 0 // int64
export const BATCH_LENGTH = 8 // int32: bytes that follow this field
export const PARTITION_LEADER_EPOCH = 12 // int32
export const MAGIC = 16 // int8, always 2
export const CRC = 17 // uint32, CRC-32C of bytes [ATTRIBUTES, end)
export const ATTRIBUTES = 21 // int16
export const LAST_OFFSET_DELTA = 23 // int32
export const BASE_TIMESTAMP = 27 // int64
export const MAX_TIMESTAMP = 35 // int64
export const PRODUCER_ID = 43 // int64
export const PRODUCER_EPOCH = 51 // int16
export const BASE_SEQUENCE = 53 // int32
export const RECORDS_COUNT = 57 // int32
/** Size of the fixed header; the records (possibly compressed) follow it. */
export const HEADER_SIZE = 61
/** baseOffset + batchLength: the part of the header not counted by batchLength. */
export const LOG_OVERHEAD = 12

export const ATTR_COMPRESSION_MASK = 0x07
export const ATTR_TIMESTAMP_TYPE = 0x08 // set: LogAppendTime
export const ATTR_TRANSACTIONAL = 0x10
export const ATTR_CONTROL = 0x20
export const ATTR_DELETE_HORIZON = 0x40

export const NO_PRODUCER_ID = -1n
export const NO_SEQUENCE = -1
