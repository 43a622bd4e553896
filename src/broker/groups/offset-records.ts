// Keys and values of the records in `__consumer_offsets`. We use Kafka's own binary schemas
// (OffsetCommitKey v1, OffsetCommitValue v3) rather than JSON: they are compact, and Kafka's tooling
// (e.g. the console consumer's offsets formatter) can read a Riffle offsets topic as it is.
//
//   key   = int16 version (1) | string group | string topic | int32 partition
//   value = int16 version (3) | int64 offset | int32 leaderEpoch | string metadata | int64 commitTimestamp
//   value = null (tombstone): the committed offset is deleted (OffsetDelete, DeleteGroups, topic deletion)
//
// Strings are int16 length + UTF-8. Key version 2 is Kafka's group-metadata record; Riffle does not
// persist group membership, so such keys are recognised and skipped on replay, as are unknown versions.
import { Reader } from '../../protocol/codec/reader.ts'
import { Writer } from '../../protocol/codec/writer.ts'

export interface OffsetKey {
  group: string
  topic: string
  partition: number
}

export interface CommittedOffset {
  offset: bigint
  /** -1 when the client did not send one. */
  leaderEpoch: number
  /** Client metadata; Kafka stores a null commit metadata as ''. */
  metadata: string
  /** Milliseconds since the epoch. */
  commitTimestamp: number
}

const OFFSET_KEY_VERSION = 1
const OFFSET_VALUE_VERSION = 3
const GROUP_METADATA_KEY_VERSION = 2

export function encodeOffsetKey(k: OffsetKey): Buffer {
  const w = new Writer(64)
  w.int16(OFFSET_KEY_VERSION)
  w.string(k.group, 'OffsetCommitKey.group')
  w.string(k.topic, 'OffsetCommitKey.topic')
  w.int32(k.partition)
  return w.toBuffer()
}

export function encodeOffsetValue(v: CommittedOffset): Buffer {
  const w = new Writer(64)
  w.int16(OFFSET_VALUE_VERSION)
  w.int64(v.offset)
  w.int32(v.leaderEpoch)
  w.string(v.metadata, 'OffsetCommitValue.metadata')
  w.int64(BigInt(v.commitTimestamp))
  return w.toBuffer()
}

export type DecodedKey =
  | { kind: 'offset'; key: OffsetKey }
  | { kind: 'group'; group: string }
  | { kind: 'unknown' }

export function decodeKey(buf: Buffer): DecodedKey {
  const r = new Reader(buf)
  const version = r.int16('key.version')
  if (version === 0 || version === 1) {
    const group = r.string('OffsetCommitKey.group')
    const topic = r.string('OffsetCommitKey.topic')
    const partition = r.int32('OffsetCommitKey.partition')
    return { kind: 'offset', key: { group, topic, partition } }
  }
  if (version === GROUP_METADATA_KEY_VERSION)
    return { kind: 'group', group: r.string('GroupMetadataKey.group') }
  return { kind: 'unknown' }
}

/** Decodes value versions 0-3 (all Kafka wrote before flexible versions); null for unknown ones. */
export function decodeOffsetValue(buf: Buffer): CommittedOffset | null {
  const r = new Reader(buf)
  const version = r.int16('OffsetCommitValue.version')
  if (version < 0 || version > 3) return null
  const offset = r.int64('OffsetCommitValue.offset')
  const leaderEpoch = version >= 3 ? r.int32('OffsetCommitValue.leaderEpoch') : -1
  const metadata = r.string('OffsetCommitValue.metadata')
  const commitTimestamp = Number(r.int64('OffsetCommitValue.commitTimestamp'))
  // v1 also carries an expire timestamp, which Riffle does not use.
  return { offset, leaderEpoch, metadata, commitTimestamp }
}
