// Kafka's error codes as data: the code, its name, and whether a client may retry. Handlers speak
// in names; the wire gets the number. RiffleError codes map onto these at the edge.
import { isRiffleError } from '../core/errors.ts'

export interface KafkaErrorInfo {
  code: number
  retriable: boolean
}

export const KafkaErrors = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false },
  NONE: { code: 0, retriable: false },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false },
  CORRUPT_MESSAGE: { code: 2, retriable: true },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true },
  INVALID_FETCH_SIZE: { code: 4, retriable: false },
  LEADER_NOT_AVAILABLE: { code: 5, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true },
  REQUEST_TIMED_OUT: { code: 7, retriable: true },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false },
  OFFSET_METADATA_TOO_LARGE: { code: 12, retriable: false },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true },
  NOT_COORDINATOR: { code: 16, retriable: true },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false },
  ILLEGAL_GENERATION: { code: 22, retriable: false },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false },
  INVALID_GROUP_ID: { code: 24, retriable: false },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false },
  INVALID_COMMIT_OFFSET_SIZE: { code: 28, retriable: false },
  INVALID_TIMESTAMP: { code: 32, retriable: false },
  UNSUPPORTED_SASL_MECHANISM: { code: 33, retriable: false },
  UNSUPPORTED_VERSION: { code: 35, retriable: false },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false },
  INVALID_PARTITIONS: { code: 37, retriable: false },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false },
  INVALID_REPLICA_ASSIGNMENT: { code: 39, retriable: false },
  INVALID_CONFIG: { code: 40, retriable: false },
  INVALID_REQUEST: { code: 42, retriable: false },
  UNSUPPORTED_FOR_MESSAGE_FORMAT: { code: 43, retriable: false },
  POLICY_VIOLATION: { code: 44, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false },
  INVALID_TXN_STATE: { code: 48, retriable: false },
  INVALID_PRODUCER_ID_MAPPING: { code: 49, retriable: false },
  INVALID_TRANSACTION_TIMEOUT: { code: 50, retriable: false },
  CONCURRENT_TRANSACTIONS: { code: 51, retriable: true },
  TRANSACTION_COORDINATOR_FENCED: { code: 52, retriable: false },
  OPERATION_NOT_ATTEMPTED: { code: 55, retriable: false },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false },
  NON_EMPTY_GROUP: { code: 68, retriable: false },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false },
  FETCH_SESSION_ID_NOT_FOUND: { code: 70, retriable: true },
  INVALID_FETCH_SESSION_EPOCH: { code: 71, retriable: true },
  UNSUPPORTED_COMPRESSION_TYPE: { code: 76, retriable: false },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false },
  FENCED_INSTANCE_ID: { code: 82, retriable: false },
  GROUP_SUBSCRIBED_TO_TOPIC: { code: 86, retriable: false },
  INVALID_RECORD: { code: 87, retriable: false },
  UNSTABLE_OFFSET_COMMIT: { code: 88, retriable: true },
  PRODUCER_FENCED: { code: 90, retriable: false },
  TRANSACTIONAL_ID_NOT_FOUND: { code: 105, retriable: false },
} as const satisfies Record<string, KafkaErrorInfo>

export type KafkaErrorName = keyof typeof KafkaErrors

/** The wire code of a named error. */
export function errorCode(name: KafkaErrorName): number {
  return KafkaErrors[name].code
}

const byCode = new Map<number, KafkaErrorName>(
  Object.entries(KafkaErrors).map(([name, info]) => [info.code, name as KafkaErrorName]),
)

export function errorName(code: number): KafkaErrorName | undefined {
  return byCode.get(code)
}

/** A protocol-level failure carrying the Kafka error to answer with. */
export class KafkaError extends Error {
  readonly errorName: KafkaErrorName
  constructor(name: KafkaErrorName, message?: string) {
    super(message ?? name)
    this.name = 'KafkaError'
    this.errorName = name
  }
  get code(): number {
    return KafkaErrors[this.errorName].code
  }
}

/** Maps any thrown value to the Kafka error a response should carry, with a message. */
export function toKafkaError(e: unknown): { name: KafkaErrorName; code: number; message: string } {
  if (e instanceof KafkaError) return { name: e.errorName, code: e.code, message: e.message }
  if (isRiffleError(e)) {
    const name: KafkaErrorName = (
      {
        CORRUPT_MESSAGE: 'CORRUPT_MESSAGE',
        INVALID_RECORD: 'INVALID_RECORD',
        INVALID_ARGUMENT: 'INVALID_REQUEST',
        OFFSET_OUT_OF_RANGE: 'OFFSET_OUT_OF_RANGE',
        UNKNOWN_TOPIC_OR_PARTITION: 'UNKNOWN_TOPIC_OR_PARTITION',
        TOPIC_ALREADY_EXISTS: 'TOPIC_ALREADY_EXISTS',
        INVALID_TOPIC: 'INVALID_TOPIC_EXCEPTION',
        INVALID_CONFIG: 'INVALID_CONFIG',
        RECORD_TOO_LARGE: 'MESSAGE_TOO_LARGE',
        DATA_DIR_LOCKED: 'KAFKA_STORAGE_ERROR',
        STORAGE_ERROR: 'KAFKA_STORAGE_ERROR',
        CLOSED: 'NOT_LEADER_OR_FOLLOWER',
        OUT_OF_ORDER_SEQUENCE: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
        INVALID_PRODUCER_EPOCH: 'INVALID_PRODUCER_EPOCH',
      } as const
    )[e.code]
    return { name, code: KafkaErrors[name].code, message: e.message }
  }
  const reason = (e as { reason?: string }).reason
  if (reason === 'unsupported') return { name: 'UNSUPPORTED_COMPRESSION_TYPE', code: 76, message: String(e) }
  return { name: 'UNKNOWN_SERVER_ERROR', code: -1, message: e instanceof Error ? e.message : String(e) }
}
