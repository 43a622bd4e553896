// keyBy as an operator: it only labels records. It sets the key (what keyed state, timers and
// windows downstream are scoped to) and the partition, a stable hash of the key, which an exchange
// between tasks will route on. Within one task the records go straight on.
import type { Key, StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'
import { partitionFor } from '../partitioning/partition.ts'

export interface KeyByConfig<T = unknown> {
  key(value: T, record: StreamRecord<T>): Key
  /** Number of downstream partitions (tasks) to hash into. Default 1. */
  partitions?: number
}

export class KeyByOperator<T> implements Operator<T, T> {
  private readonly config: KeyByConfig<T>
  private readonly partitions: number

  constructor(config: KeyByConfig<T>) {
    this.config = config
    this.partitions = config.partitions ?? 1
    partitionFor('', this.partitions) // validates
  }

  processBatch(batch: readonly StreamRecord<T>[], ctx: OperatorContext<T>): void {
    const single = this.partitions === 1
    for (const r of batch) {
      const key = this.config.key(r.value, r)
      // One partition: every key hashes to 0. Numbers and strings need no hash to say so (other keys
      // still go through partitionFor, which also refuses what cannot be a key).
      const partition =
        single && (typeof key === 'string' || (typeof key === 'number' && !Number.isNaN(key)))
          ? 0
          : partitionFor(key, this.partitions)
      ctx.emit({ value: r.value, timestamp: r.timestamp, key, partition })
    }
  }
}
