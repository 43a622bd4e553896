// Drives bench/broker/rdkafka_client.py: librdkafka (confluent_kafka) in a Python child process that
// serves one JSON command per line. The system Python is the one with confluent_kafka installed.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { dieWithParent, killChild, trackChild } from '../lib/children.ts'
import { mbPerSec, now } from '../lib/measure.ts'
import { type CpuSampler, processSampler } from './cpu.ts'
import { type LatencySession, latencyMeasurement } from './latency.ts'
import type { ThroughputSession } from './produce.ts'

export const PYTHON = '/usr/bin/python3'
const SCRIPT = path.join(import.meta.dirname, 'rdkafka_client.py')

export interface RdkafkaSettings {
  producer?: Record<string, string | number | boolean>
  consumer?: Record<string, string | number | boolean>
}

export class RdkafkaClient {
  private readonly child: ChildProcessWithoutNullStreams
  private readonly lines: AsyncIterator<string>
  private stderr = ''
  /** The Python process (whose CPU use the cases report: it is often the limit). */
  get pid(): number {
    return this.child.pid!
  }

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child
    child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000)
    })
    this.lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]()
  }

  /** Whether the system Python has confluent_kafka; returns librdkafka's version or null. */
  static available(): string | null {
    if (!fs.existsSync(PYTHON)) return null
    try {
      return execFileSync(PYTHON, ['-c', 'import confluent_kafka; print(confluent_kafka.libversion()[0])'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim()
    } catch {
      return null
    }
  }

  static start(bootstrap: string, settings: RdkafkaSettings = {}): RdkafkaClient {
    const [command, args] = dieWithParent(PYTHON, [SCRIPT, bootstrap, JSON.stringify(settings)])
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    trackChild(child)
    return new RdkafkaClient(child)
  }

  async command<T>(cmd: Record<string, unknown>): Promise<T> {
    this.child.stdin.write(`${JSON.stringify(cmd)}\n`)
    const next = await this.lines.next()
    if (next.done) throw new Error(`rdkafka client exited:\n${this.stderr}`)
    const result = JSON.parse(next.value) as T & { error?: string }
    if (result.error) throw new Error(`rdkafka client: ${cmd.op} failed: ${result.error}\n${this.stderr}`)
    return result
  }

  async close(): Promise<void> {
    this.child.stdin.end()
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    const timer = setTimeout(() => void killChild(this.child), 15_000)
    await exited
    clearTimeout(timer)
  }
}

/** Bytes of record batches stored in the partitions of `topic` (sum of its .log files). */
export function topicLogBytes(dataDir: string, topic: string): number {
  const dir = path.join(dataDir, 'topics', topic)
  let n = 0
  for (const p of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!p.isDirectory()) continue
    for (const f of fs.readdirSync(path.join(dir, p.name)))
      if (f.endsWith('.log')) n += fs.statSync(path.join(dir, p.name, f)).size
  }
  return n
}

/**
 * librdkafka producing `count` messages per slice (a Measurement in MB/s of record batches: the
 * growth of the topic's log files, so the batch framing librdkafka chose is counted as for the
 * wire client).
 */
export function rdkafkaProducer(
  client: RdkafkaClient,
  dataDir: string,
  shape: { topic: string; partitions: number; recordBytes: number },
  cpu: CpuSampler,
): ThroughputSession {
  const python = processSampler(client.pid)
  return {
    async slice(count) {
      const before = topicLogBytes(dataDir, shape.topic)
      cpu.start()
      python.start()
      const started = now()
      const r = await client.command<{ ms: number; msgs: number; errors: number }>({
        op: 'produce',
        topic: shape.topic,
        partitions: shape.partitions,
        count,
        size: shape.recordBytes,
      })
      // CPU shares over the whole command (a few ms more than the timed part).
      const wall = now() - started
      const usage = cpu.stop(wall)
      const clientCores = python.stop(wall)
      if (r.errors > 0) throw new Error(`librdkafka: ${r.errors} of ${count} messages not delivered`)
      const bytes = topicLogBytes(dataDir, shape.topic) - before
      return {
        value: mbPerSec(bytes, r.ms),
        details: {
          ms: r.ms,
          bytes,
          msgs: r.msgs,
          msgsPerSec: r.msgs / (r.ms / 1000),
          brokerCores: usage.brokerCores,
          clientCores,
        },
      }
    },
    async close() {},
  }
}

/** librdkafka reading the first `recordsPerPartition` of every partition (MB/s of record batches). */
export function rdkafkaConsumer(
  client: RdkafkaClient,
  target: { topic: string; partitions: number; recordsPerPartition: number; bytesPerPartition: number },
  cpu: CpuSampler,
): ThroughputSession {
  const count = target.recordsPerPartition * target.partitions
  const bytes = target.bytesPerPartition * target.partitions
  const python = processSampler(client.pid)
  return {
    async slice() {
      cpu.start()
      python.start()
      const started = now()
      const r = await client.command<{ ms: number; msgs: number; bytes: number }>({
        op: 'consume',
        topic: target.topic,
        partitions: target.partitions,
        count,
      })
      const wall = now() - started
      const usage = cpu.stop(wall)
      const clientCores = python.stop(wall)
      return {
        value: mbPerSec(bytes, r.ms),
        details: {
          ms: r.ms,
          bytes,
          msgs: r.msgs,
          msgsPerSec: r.msgs / (r.ms / 1000),
          brokerCores: usage.brokerCores,
          clientCores,
        },
      }
    },
    async close() {},
  }
}

/** librdkafka producer and consumer in one process, one clock (see rdkafka_client.py). */
export function rdkafkaLatency(client: RdkafkaClient, topic: string): LatencySession {
  return {
    async run({ rate, ms, recordBytes }) {
      const r = await client.command<{ latenciesMs: number[]; sent: number; received: number }>({
        op: 'latency',
        topic,
        partitions: 1,
        rate,
        seconds: ms / 1000,
        size: recordBytes,
      })
      if (r.received !== r.sent) throw new Error(`librdkafka consumed ${r.received} of ${r.sent} messages`)
      return latencyMeasurement(r.latenciesMs, { sent: r.sent })
    },
    async close() {},
  }
}
