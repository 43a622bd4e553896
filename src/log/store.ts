// The data directory: topics, their partitions and persisted metadata, the process lock, the
// clean-shutdown marker that decides how much recovery an open needs, and the maintenance timer.
//
// Layout:
//   <data>/.lock                      pid of the owning process
//   <data>/.clean-shutdown            present only after an orderly close
//   <data>/topics/<topic>/topic.json  {name, id, partitions, configs}
//   <data>/topics/<topic>/<n>/        one partition: segments and checkpoints
import { randomUUID } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { RiffleError } from '../core/errors.ts'
import { childLogger } from '../core/logging.ts'
import { compactPartition } from './compaction.ts'
import { DEFAULT_LOG_CONFIG, type LogConfig, applyConfig } from './config.ts'
import { fsyncDir, writeFileAtomic } from './fsio.ts'
import { type DirLock, lockDataDir } from './lock.ts'
import { PartitionLog } from './partition-log.ts'

export interface TopicMeta {
  name: string
  id: string
  partitions: number
  /** Settings given for this topic (Kafka-style keys); the rest come from the store defaults. */
  configs: Record<string, string>
}

export interface Topic {
  meta: TopicMeta
  config: LogConfig
  partitions: PartitionLog[]
}

export interface LogStoreOptions {
  /** Defaults for every topic, as Kafka-style settings (e.g. {'retention.ms': '3600000'}). */
  defaults?: Record<string, string>
  /** How often retention and compaction run; 0 disables the timer (tests call runMaintenance). */
  maintenanceIntervalMs?: number
}

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/
const log = childLogger('log')

export function validateTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new RiffleError(
      'INVALID_TOPIC',
      `invalid topic name '${name}': use 1 to 249 characters from a-z, A-Z, 0-9, '.', '_' and '-'`,
    )
  }
}

export class LogStore {
  readonly dir: string
  readonly defaults: LogConfig
  /** True when the previous process did not close the store in order. */
  readonly recoveredFromCrash: boolean
  private readonly topics = new Map<string, Topic>()
  private readonly lock: DirLock
  private timer: NodeJS.Timeout | null = null
  private closed = false

  private constructor(dir: string, defaults: LogConfig, lock: DirLock, unclean: boolean) {
    this.dir = dir
    this.defaults = defaults
    this.lock = lock
    this.recoveredFromCrash = unclean
  }

  static open(dir: string, options: LogStoreOptions = {}): LogStore {
    const defaults = applyConfig(DEFAULT_LOG_CONFIG, options.defaults ?? {})
    fs.mkdirSync(path.join(dir, 'topics'), { recursive: true })
    const lock = lockDataDir(dir)
    try {
      const marker = path.join(dir, '.clean-shutdown')
      const fresh = fs.readdirSync(path.join(dir, 'topics')).length === 0
      const unclean = !fresh && !fs.existsSync(marker)
      fs.rmSync(marker, { force: true })
      const store = new LogStore(dir, defaults, lock, unclean)
      for (const f of fs.readdirSync(dir))
        if (f.startsWith('deleted-')) fs.rmSync(path.join(dir, f), { recursive: true, force: true })
      for (const name of fs.readdirSync(path.join(dir, 'topics'))) {
        const metaFile = path.join(dir, 'topics', name, 'topic.json')
        if (!fs.existsSync(metaFile)) continue
        const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as TopicMeta
        store.openTopic(meta, unclean)
      }
      if (unclean)
        log.warn({ dir }, 'data directory was not closed cleanly; recovered the tail of every partition')
      const every = options.maintenanceIntervalMs ?? 30_000
      if (every > 0) {
        store.timer = setInterval(
          () => void store.runMaintenance().catch((e) => log.error(e, 'maintenance failed')),
          every,
        )
        store.timer.unref()
      }
      return store
    } catch (e) {
      lock.release()
      throw e
    }
  }

  private topicDir(name: string): string {
    return path.join(this.dir, 'topics', name)
  }

  private openTopic(meta: TopicMeta, unclean: boolean): Topic {
    const config = applyConfig(this.defaults, meta.configs)
    const partitions: PartitionLog[] = []
    for (let p = 0; p < meta.partitions; p++) {
      const partition = PartitionLog.open(path.join(this.topicDir(meta.name), String(p)), config, {
        uncleanShutdown: unclean,
      })
      if (partition.recoveredTruncation > 0) {
        log.warn(
          { topic: meta.name, partition: p, bytes: partition.recoveredTruncation },
          'truncated an incomplete tail',
        )
      }
      partitions.push(partition)
    }
    const topic = { meta, config, partitions }
    this.topics.set(meta.name, topic)
    return topic
  }

  private ensureOpen(): void {
    if (this.closed) throw new RiffleError('CLOSED', 'the log store is closed')
  }

  listTopics(): TopicMeta[] {
    return [...this.topics.values()].map((t) => t.meta)
  }

  topic(name: string): Topic | undefined {
    return this.topics.get(name)
  }

  partition(topic: string, partition: number): PartitionLog | undefined {
    return this.topics.get(topic)?.partitions[partition]
  }

  createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Topic {
    this.ensureOpen()
    validateTopicName(name)
    if (this.topics.has(name)) throw new RiffleError('TOPIC_ALREADY_EXISTS', `topic '${name}' already exists`)
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 10_000) {
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `a topic needs between 1 and 10000 partitions, not ${partitions}`,
      )
    }
    applyConfig(this.defaults, configs) // validate before touching the disk
    const meta: TopicMeta = { name, id: randomUUID(), partitions, configs: { ...configs } }
    fs.mkdirSync(this.topicDir(name), { recursive: true })
    writeFileAtomic(path.join(this.topicDir(name), 'topic.json'), `${JSON.stringify(meta, null, 2)}\n`)
    fsyncDir(path.join(this.dir, 'topics'))
    return this.openTopic(meta, false)
  }

  private requireTopic(name: string): Topic {
    const t = this.topics.get(name)
    if (!t) throw new RiffleError('UNKNOWN_TOPIC_OR_PARTITION', `topic '${name}' does not exist`)
    return t
  }

  async deleteTopic(name: string): Promise<void> {
    this.ensureOpen()
    const t = this.requireTopic(name)
    this.topics.delete(name)
    await Promise.all(t.partitions.map((p) => p.close()))
    // Rename before removing so that a crash midway never leaves half a topic under its name.
    const graveyard = path.join(this.dir, `deleted-${name}-${t.meta.id}`)
    fs.renameSync(this.topicDir(name), graveyard)
    fsyncDir(path.join(this.dir, 'topics'))
    fs.rmSync(graveyard, { recursive: true, force: true })
  }

  /** Raises a topic's partition count (it can never shrink, as in Kafka). */
  addPartitions(name: string, total: number): Topic {
    this.ensureOpen()
    const t = this.requireTopic(name)
    if (!Number.isInteger(total) || total <= t.meta.partitions || total > 10_000) {
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `topic '${name}' has ${t.meta.partitions} partitions; the new count must be larger`,
      )
    }
    for (let p = t.meta.partitions; p < total; p++) {
      t.partitions.push(PartitionLog.open(path.join(this.topicDir(name), String(p)), t.config))
    }
    t.meta = { ...t.meta, partitions: total }
    writeFileAtomic(path.join(this.topicDir(name), 'topic.json'), `${JSON.stringify(t.meta, null, 2)}\n`)
    return t
  }

  /** Replaces a topic's own settings (AlterConfigs semantics); `null` values remove a setting. */
  setTopicConfigs(
    name: string,
    configs: Record<string, string | null>,
    mode: 'replace' | 'merge' = 'merge',
  ): Topic {
    this.ensureOpen()
    const t = this.requireTopic(name)
    const next: Record<string, string> = mode === 'replace' ? {} : { ...t.meta.configs }
    for (const [k, v] of Object.entries(configs)) {
      if (v === null) delete next[k]
      else next[k] = v
    }
    const config = applyConfig(this.defaults, next)
    t.meta = { ...t.meta, configs: next }
    t.config = config
    writeFileAtomic(path.join(this.topicDir(name), 'topic.json'), `${JSON.stringify(t.meta, null, 2)}\n`)
    for (const p of t.partitions) p.updateConfig(config)
    return t
  }

  /** Retention and compaction over every partition; returns what was done. */
  async runMaintenance(now = Date.now()): Promise<{ segmentsDeleted: number; recordsCompacted: number }> {
    let segmentsDeleted = 0
    let recordsCompacted = 0
    for (const t of [...this.topics.values()]) {
      for (const p of t.partitions) {
        segmentsDeleted += await p.enforceRetention(now)
        recordsCompacted += (await compactPartition(p, now)).recordsRemoved
      }
    }
    return { segmentsDeleted, recordsCompacted }
  }

  /** Flushes and closes every partition, marks the shutdown clean and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    await Promise.all([...this.topics.values()].flatMap((t) => t.partitions.map((p) => p.close())))
    writeFileAtomic(path.join(this.dir, '.clean-shutdown'), '')
    this.lock.release()
  }
}
