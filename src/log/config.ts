// Per-topic log configuration. Keys and defaults follow Kafka's topic configs so that
// DescribeConfigs/AlterConfigs map one to one; `fsync` is Riffle's own durability switch.
import { RiffleError } from '../core/errors.ts'
import { parseDuration } from '../core/time.ts'

export type FsyncPolicy = { kind: 'always' } | { kind: 'never' } | { kind: 'interval'; ms: number }

export interface LogConfig {
  segmentBytes: number
  segmentMs: number
  /** -1: keep forever. */
  retentionMs: number
  /** -1: no size limit. */
  retentionBytes: number
  cleanupPolicy: { delete: boolean; compact: boolean }
  deleteRetentionMs: number
  minCompactionLagMs: number
  maxMessageBytes: number
  indexIntervalBytes: number
  timestampType: 'CreateTime' | 'LogAppendTime'
  fsync: FsyncPolicy
}

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3_600_000,
  retentionMs: 7 * 24 * 3_600_000,
  retentionBytes: -1,
  cleanupPolicy: { delete: true, compact: false },
  deleteRetentionMs: 24 * 3_600_000,
  minCompactionLagMs: 0,
  maxMessageBytes: 1024 * 1024 + 12,
  indexIntervalBytes: 4096,
  timestampType: 'CreateTime',
  fsync: { kind: 'always' } as FsyncPolicy,
})

/** The Kafka-style key of every setting, in the order DescribeConfigs lists them. */
export const CONFIG_KEYS = [
  'segment.bytes',
  'segment.ms',
  'retention.ms',
  'retention.bytes',
  'cleanup.policy',
  'delete.retention.ms',
  'min.compaction.lag.ms',
  'max.message.bytes',
  'index.interval.bytes',
  'message.timestamp.type',
  'fsync',
] as const
export type ConfigKey = (typeof CONFIG_KEYS)[number]

function int(key: string, value: string, min: number): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < min) {
    throw new RiffleError('INVALID_CONFIG', `${key}=${value}: expected an integer ≥ ${min}`)
  }
  return n
}

export function parseFsync(value: string): FsyncPolicy {
  const v = value.trim().toLowerCase()
  if (v === 'always') return { kind: 'always' }
  if (v === 'never') return { kind: 'never' }
  const m = /^(?:interval\s*)?(\S+)$/.exec(v)
  try {
    const ms = parseDuration(m ? m[1]! : v)
    if (ms > 0) return { kind: 'interval', ms }
  } catch {}
  throw new RiffleError(
    'INVALID_CONFIG',
    `fsync=${value}: expected always, never, or an interval such as 100ms`,
  )
}

/** Applies Kafka-style key/value settings on top of `base`. Unknown keys are an error. */
export function applyConfig(base: Readonly<LogConfig>, entries: Readonly<Record<string, string>>): LogConfig {
  const c: LogConfig = { ...base, cleanupPolicy: { ...base.cleanupPolicy }, fsync: { ...base.fsync } }
  for (const [key, value] of Object.entries(entries)) {
    switch (key as ConfigKey) {
      case 'segment.bytes':
        c.segmentBytes = int(key, value, 14)
        break
      case 'segment.ms':
        c.segmentMs = int(key, value, 1)
        break
      case 'retention.ms':
        c.retentionMs = int(key, value, -1)
        break
      case 'retention.bytes':
        c.retentionBytes = int(key, value, -1)
        break
      case 'cleanup.policy': {
        const parts = value.split(',').map((s) => s.trim())
        if (parts.length === 0 || parts.some((p) => p !== 'delete' && p !== 'compact')) {
          throw new RiffleError('INVALID_CONFIG', `cleanup.policy=${value}: expected delete, compact or both`)
        }
        c.cleanupPolicy = { delete: parts.includes('delete'), compact: parts.includes('compact') }
        break
      }
      case 'delete.retention.ms':
        c.deleteRetentionMs = int(key, value, 0)
        break
      case 'min.compaction.lag.ms':
        c.minCompactionLagMs = int(key, value, 0)
        break
      case 'max.message.bytes':
        c.maxMessageBytes = int(key, value, 0)
        break
      case 'index.interval.bytes':
        c.indexIntervalBytes = int(key, value, 0)
        break
      case 'message.timestamp.type':
        if (value !== 'CreateTime' && value !== 'LogAppendTime') {
          throw new RiffleError(
            'INVALID_CONFIG',
            `message.timestamp.type=${value}: expected CreateTime or LogAppendTime`,
          )
        }
        c.timestampType = value
        break
      case 'fsync':
        c.fsync = parseFsync(value)
        break
      default:
        throw new RiffleError('INVALID_CONFIG', `unknown topic config '${key}'`)
    }
  }
  return c
}

/** The Kafka-style string value of each setting, for DescribeConfigs and persistence. */
export function describeConfig(c: Readonly<LogConfig>): Record<ConfigKey, string> {
  const policy = [c.cleanupPolicy.delete ? 'delete' : '', c.cleanupPolicy.compact ? 'compact' : '']
  return {
    'segment.bytes': String(c.segmentBytes),
    'segment.ms': String(c.segmentMs),
    'retention.ms': String(c.retentionMs),
    'retention.bytes': String(c.retentionBytes),
    'cleanup.policy': policy.filter(Boolean).join(','),
    'delete.retention.ms': String(c.deleteRetentionMs),
    'min.compaction.lag.ms': String(c.minCompactionLagMs),
    'max.message.bytes': String(c.maxMessageBytes),
    'index.interval.bytes': String(c.indexIntervalBytes),
    'message.timestamp.type': c.timestampType,
    fsync: c.fsync.kind === 'interval' ? `${c.fsync.ms}ms` : c.fsync.kind,
  }
}
