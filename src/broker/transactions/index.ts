// Idempotent and transactional producers: producer ids and the transaction coordinator.
export {
  TransactionCoordinator,
  type TransactionCoordinatorOptions,
  type TxnMarker,
  type TxnOffsetsPartner,
  txnOffsetCommitRefused,
} from './coordinator.ts'
export { TRANSACTION_STATE_TOPIC, TRANSACTION_STATE_CONFIGS } from './txn-log.ts'
export type { TxnState } from './txn-records.ts'
