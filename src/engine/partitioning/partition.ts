// keyBy's "which downstream task": a stable function of the key alone (no process-local hash seeds,
// no insertion order), so every task and every restart agree. Bytes and string keys hash exactly
// as Kafka's default partitioner does; other keys hash their canonical id (serde/key.ts).
import { RiffleError } from '../../core/errors.ts'
import type { Key } from '../model/record.ts'
import { keyId } from '../serde/key.ts'
import { murmur2 } from './murmur2.ts'

export function keyBytes(key: Key | undefined): Uint8Array {
  if (key instanceof Uint8Array) return key
  if (typeof key === 'string') return Buffer.from(key, 'utf8')
  return Buffer.from(keyId(key), 'utf8')
}

/** Kafka's toPositive(murmur2(bytes)) % partitions. */
export function partitionFor(key: Key | undefined, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RiffleError('INVALID_ARGUMENT', `partitions must be a positive integer, got ${partitions}`)
  return (murmur2(keyBytes(key)) & 0x7fffffff) % partitions
}
