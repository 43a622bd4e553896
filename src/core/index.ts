// The core layer: dependency-free building blocks shared by every other layer.
export { crc32c } from './crc32c.ts'
export { RiffleError, isRiffleError, type ErrorCode } from './errors.ts'
export { varintSize, writeVarint, readVarint, type VarintRead } from './varint.ts'
export { parseDuration, systemClock, type Clock } from './time.ts'
export { rootLogger, childLogger, type Logger } from './logging.ts'
