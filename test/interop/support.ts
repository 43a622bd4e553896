// Shared by the interop tests: running the Python and kcat clients as child processes that print
// JSON lines, and writing/reading records with every client library in one canonical shape, so
// what one client wrote can be compared field by field with what another read.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type TestContext, after, before } from 'node:test'
import { Consumer as PltConsumer, Producer as PltProducer } from '@platformatic/kafka'
import { Kafka, logLevel } from 'kafkajs'
import { type BrokerProcess, type StartOptions, startBroker } from '../helpers/broker.ts'

export const PYTHON = '/usr/bin/python3'
export const KCAT = '/usr/bin/kcat'
export const clientScript = (name: string): string => path.resolve(import.meta.dirname, 'clients', name)

/** A record as every reader reports it. Keys, values and header values are UTF-8 text. */
export interface Rec {
  topic: string
  partition: number
  offset: number
  key: string | null
  value: string | null
  headers: Array<[string, string]>
  timestamp: number
}

/** A record to write. `timestamp` undefined lets the client stamp it. */
export interface OutMessage {
  partition: number
  key: string | null
  value: string | null
  headers: Array<[string, string]>
  timestamp?: number
}

/** Where the broker put a written message. */
export interface Delivery {
  partition: number
  offset: number
}

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'

/** One broker for all the tests of a file: started before the first, killed and removed after the last. */
export function brokerPerFile(options: StartOptions = {}): {
  readonly broker: BrokerProcess
  readonly bootstrap: string
  readonly dataDir: string
} {
  let broker: BrokerProcess | undefined
  let dir: string | undefined
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'riffle-interop-'))
    broker = await startBroker(null, dir, options)
  })
  after(async () => {
    await broker?.kill()
    if (dir) fs.rmSync(dir, { recursive: true, force: true })
  })
  return {
    get broker() {
      return broker!
    },
    get bootstrap() {
      return broker!.bootstrap
    },
    get dataDir() {
      return dir!
    },
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Rejects if `p` has not settled within `ms`. */
export async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** Polls `check` until it returns true or `ms` pass. */
export async function until(
  ms: number,
  what: string | (() => string),
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`)
    await sleep(25)
  }
}

/** The records `messages` become once written in order to an empty topic: offsets count per partition. */
export function expectedRecords(
  topic: string,
  messages: OutMessage[],
  firstOffsets: Record<number, number> = {},
): Rec[] {
  const next = new Map<number, number>()
  const out = messages.map((m) => {
    const offset = next.get(m.partition) ?? firstOffsets[m.partition] ?? 0
    next.set(m.partition, offset + 1)
    assert.ok(m.timestamp !== undefined, 'expected records need explicit timestamps')
    return {
      topic,
      partition: m.partition,
      offset,
      key: m.key,
      value: m.value,
      headers: m.headers,
      timestamp: m.timestamp,
    }
  })
  return sortRecords(out)
}

export function sortRecords(records: Rec[]): Rec[] {
  return [...records].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition || a.offset - b.offset,
  )
}

/** Keeps exactly the canonical fields, so records from different readers compare with deepEqual. */
export function canonical(r: Rec): Rec {
  return {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    value: r.value,
    headers: r.headers.map(([k, v]) => [k, v]),
    timestamp: r.timestamp,
  }
}

// ---------------------------------------------------------------------------------------------
// Child processes printing JSON lines

/** A child process whose stdout is JSON lines, collected as they arrive. Killed when the test ends. */
export class JsonLines {
  readonly child: ChildProcess
  readonly lines: Array<Record<string, unknown>> = []
  stderr = ''
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private readonly waiters = new Set<() => void>()
  /** The process has exited and all its output has been read. */
  private closed = false

  constructor(t: TestContext, cmd: string, args: string[], options: { env?: Record<string, string> } = {}) {
    this.child = spawn(cmd, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: path.resolve(import.meta.dirname, 'clients'),
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...options.env },
    })
    // 'close' rather than 'exit': by then all output has been read.
    this.exited = new Promise((resolve) =>
      this.child.once('close', (code, signal) => resolve({ code, signal })),
    )
    let pending = ''
    const take = (line: string) => {
      if (!line.trim()) return
      try {
        this.lines.push(JSON.parse(line))
      } catch {
        this.lines.push({ unparsed: line })
      }
    }
    this.child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString('utf8')
      const parts = pending.split('\n')
      pending = parts.pop()!
      for (const line of parts) take(line)
      for (const w of this.waiters) w()
    })
    this.child.stdout!.on('end', () => take(pending)) // a last line without a newline
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8')
      if (process.env.RIFFLE_TEST_CLIENT_LOG) process.stderr.write(d)
    })
    this.child.stdin!.on('error', () => {}) // the child may exit before reading all input
    this.exited.then(() => {
      this.closed = true
      for (const w of this.waiters) w()
    })
    t.after(() => this.kill())
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  send(obj: unknown): void {
    this.child.stdin!.write(`${JSON.stringify(obj)}\n`)
  }

  /** Sends one request line and resolves with the next output line (for request/response scripts). */
  async request(obj: unknown, ms = 15_000): Promise<Record<string, unknown>> {
    const from = this.lines.length
    this.send(obj)
    return this.waitFor(() => true, ms, `the answer to ${JSON.stringify(obj)}`, from)
  }

  closeInput(): void {
    this.child.stdin!.end()
  }

  /** Resolves with the first line (from index `from`) matching `pred`; fails if the process exits first. */
  async waitFor(
    pred: (line: Record<string, unknown>) => boolean,
    ms: number,
    what: string,
    from = 0,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + ms
    for (;;) {
      for (let i = from; i < this.lines.length; i++) if (pred(this.lines[i]!)) return this.lines[i]!
      from = this.lines.length
      if (this.closed)
        throw new Error(
          `${path.basename(String(this.child.spawnargs[1]))} exited before ${what}:\n${this.stderr}`,
        )
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${what}; stderr:\n${this.stderr}`)
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake)
          clearTimeout(timer)
          resolve()
        }
        const timer = setTimeout(wake, left)
        this.waiters.add(wake)
      })
    }
  }

  /** Waits for a clean exit (code 0) within `ms`, killing the process otherwise. */
  async done(ms: number, what: string): Promise<Array<Record<string, unknown>>> {
    let result: { code: number | null; signal: NodeJS.Signals | null }
    try {
      result = await within(ms, what, this.exited)
    } catch (e) {
      this.kill()
      throw new Error(`${(e as Error).message}; stderr:\n${this.stderr}`)
    }
    if (result.code !== 0) {
      const out = this.lines.slice(-5).map((l) => JSON.stringify(l))
      throw new Error(
        `${what} exited with ${result.code ?? result.signal}:\n${this.stderr}\nlast output:\n${out.join('\n')}`,
      )
    }
    return this.lines
  }

  kill(): void {
    if (this.running) this.child.kill('SIGKILL')
  }
}

/** Runs a command to completion, feeding `input` lines on stdin; returns its JSON output lines. */
export async function runJson(
  t: TestContext,
  cmd: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; what?: string } = {},
): Promise<Array<Record<string, unknown>>> {
  const p = new JsonLines(t, cmd, args)
  if (options.input !== undefined) p.child.stdin!.write(options.input)
  p.closeInput()
  return p.done(options.timeoutMs ?? 30_000, options.what ?? `${path.basename(cmd)} ${args.join(' ')}`)
}

export const runPython = (
  t: TestContext,
  script: string,
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
) => runJson(t, PYTHON, [clientScript(script), ...args], { ...options, what: `${script} ${args.join(' ')}` })

const jsonInput = (messages: OutMessage[]) => messages.map((m) => `${JSON.stringify(m)}\n`).join('')

function deliveries(lines: Array<Record<string, unknown>>, count: number): Delivery[] {
  assert.equal(lines.length, count, `one delivery report per message: ${JSON.stringify(lines)}`)
  return lines.map((l, i) => {
    assert.equal(l.i, i)
    assert.equal(l.error, undefined, `message ${i} failed: ${String(l.error)}`)
    return { partition: l.partition as number, offset: l.offset as number }
  })
}

// ---------------------------------------------------------------------------------------------
// Writers: each returns where every message went, in input order (kcat cannot tell, see below).

const kafkajsLog = process.env.RIFFLE_TEST_CLIENT_LOG ? logLevel.DEBUG : logLevel.NOTHING

export function kafkajs(bootstrap: string, clientId = 'riffle-interop'): Kafka {
  return new Kafka({
    clientId,
    brokers: [bootstrap],
    logLevel: kafkajsLog,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
  })
}

function kafkajsHeaders(headers: Array<[string, string]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [k, v] of headers) {
    const prev = out[k]
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}

/** Writes with kafkajs, one send per message so each message's offset is known. gzip is its only built-in codec. */
export async function writeWithKafkajs(
  bootstrap: string,
  topic: string,
  messages: OutMessage[],
): Promise<Delivery[]> {
  const producer = kafkajs(bootstrap).producer({ allowAutoTopicCreation: true })
  await producer.connect()
  try {
    const out: Delivery[] = []
    for (const m of messages) {
      const [meta] = await producer.send({
        topic,
        acks: -1,
        messages: [
          {
            partition: m.partition,
            key: m.key,
            value: m.value,
            headers: kafkajsHeaders(m.headers),
            timestamp: m.timestamp === undefined ? undefined : String(m.timestamp),
          },
        ],
      })
      assert.equal(meta!.errorCode, 0)
      out.push({ partition: meta!.partition, offset: Number(meta!.baseOffset) })
    }
    return out
  } finally {
    await producer.disconnect()
  }
}

const buf = (s: string | null): Buffer | undefined => (s === null ? undefined : Buffer.from(s, 'utf8'))

/** Writes with @platformatic/kafka, one send per message. Header keys are Buffers, so repeated keys survive. */
export async function writeWithPlatformatic(
  bootstrap: string,
  topic: string,
  messages: OutMessage[],
  compression: Compression = 'none',
): Promise<Delivery[]> {
  const producer = new PltProducer({
    clientId: 'riffle-interop-plt',
    bootstrapBrokers: [bootstrap],
    acks: -1,
    retries: 3,
    retryDelay: 200,
  })
  try {
    const out: Delivery[] = []
    for (const m of messages) {
      const res = await producer.send({
        compression,
        messages: [
          {
            topic,
            partition: m.partition,
            key: buf(m.key),
            value: buf(m.value),
            headers: new Map(m.headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
            timestamp: m.timestamp === undefined ? undefined : BigInt(m.timestamp),
          },
        ],
      })
      const [o] = res.offsets!
      out.push({ partition: o!.partition, offset: Number(o!.offset) })
    }
    return out
  } finally {
    await producer.close()
  }
}

/** Writes a batch with @platformatic/kafka in a single send (several records per batch). */
export async function writeBatchWithPlatformatic(
  bootstrap: string,
  topic: string,
  messages: OutMessage[],
  compression: Compression = 'none',
): Promise<void> {
  const producer = new PltProducer({
    clientId: 'riffle-interop-plt',
    bootstrapBrokers: [bootstrap],
    acks: -1,
    retries: 3,
    retryDelay: 200,
  })
  try {
    await producer.send({
      compression,
      messages: messages.map((m) => ({
        topic,
        partition: m.partition,
        key: buf(m.key),
        value: buf(m.value),
        headers: new Map(m.headers.map(([k, v]) => [Buffer.from(k), Buffer.from(v)])),
        timestamp: m.timestamp === undefined ? undefined : BigInt(m.timestamp),
      })),
    })
  } finally {
    await producer.close()
  }
}

export async function writeWithConfluent(
  t: TestContext,
  bootstrap: string,
  topic: string,
  messages: OutMessage[],
  options: { compression?: Compression; lingerMs?: number } = {},
): Promise<Delivery[]> {
  const args = ['--bootstrap', bootstrap, '--topic', topic, '--compression', options.compression ?? 'none']
  if (options.lingerMs) args.push('--linger-ms', String(options.lingerMs))
  return deliveries(
    await runPython(t, 'ck_produce.py', args, { input: jsonInput(messages) }),
    messages.length,
  )
}

export async function writeWithKafkaPython(
  t: TestContext,
  bootstrap: string,
  topic: string,
  messages: OutMessage[],
): Promise<Delivery[]> {
  const lines = await runPython(t, 'kp_produce.py', ['--bootstrap', bootstrap, '--topic', topic], {
    input: jsonInput(messages),
  })
  return deliveries(lines, messages.length)
}

/**
 * Writes with kcat (librdkafka) from stdin, key and value separated by a tab, `-Z` so an empty key or
 * value is sent as null. kcat gives every message of one run the same partition and headers and
 * cannot set timestamps, so consecutive messages sharing partition and headers go in one run.
 */
export async function writeWithKcat(
  t: TestContext,
  bootstrap: string,
  topic: string,
  messages: OutMessage[],
  options: { compression?: Compression } = {},
): Promise<void> {
  for (let i = 0; i < messages.length; ) {
    const first = messages[i]!
    let j = i
    while (
      j < messages.length &&
      messages[j]!.partition === first.partition &&
      JSON.stringify(messages[j]!.headers) === JSON.stringify(first.headers)
    )
      j++
    const lines = messages.slice(i, j).map((m) => {
      assert.equal(m.timestamp, undefined, 'kcat cannot set timestamps')
      for (const s of [m.key, m.value])
        assert.ok(
          s !== '' && !/[\t\n]/.test(s ?? ''),
          'kcat input is tab/newline separated, empty means null',
        )
      return `${m.key ?? ''}\t${m.value ?? ''}\n`
    })
    const args = [
      '-P',
      '-b',
      bootstrap,
      '-t',
      topic,
      '-p',
      String(first.partition),
      '-K',
      '\t',
      '-Z',
      '-X',
      'acks=all',
    ]
    if (options.compression && options.compression !== 'none') {
      args.push('-X', `compression.codec=${options.compression}`, '-X', 'linger.ms=100')
    }
    for (const [k, v] of first.headers) args.push('-H', `${k}=${v}`)
    await runJson(t, KCAT, args, { input: lines.join(''), what: 'kcat produce' })
    i = j
  }
}

// ---------------------------------------------------------------------------------------------
// Readers: every record of the topics, from the log start to the high watermark.

export async function readWithConfluent(t: TestContext, bootstrap: string, topics: string[]): Promise<Rec[]> {
  const lines = await runPython(t, 'ck_consume.py', [
    '--bootstrap',
    bootstrap,
    ...topics.flatMap((x) => ['--topic', x]),
  ])
  return sortRecords(lines.map((l) => canonical(l as unknown as Rec)))
}

export async function readWithKafkaPython(
  t: TestContext,
  bootstrap: string,
  topics: string[],
): Promise<Rec[]> {
  const lines = await runPython(t, 'kp_consume.py', [
    '--bootstrap',
    bootstrap,
    ...topics.flatMap((x) => ['--topic', x]),
  ])
  return sortRecords(lines.map((l) => canonical(l as unknown as Rec)))
}

/** kcat -J prints headers as a flat [k1, v1, k2, v2, ...] array and null keys/values as null. */
export async function readWithKcat(t: TestContext, bootstrap: string, topics: string[]): Promise<Rec[]> {
  const out: Rec[] = []
  const runs = await Promise.all(
    topics.map((topic) =>
      runJson(t, KCAT, ['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-J', '-q'], {
        what: `kcat consume ${topic}`,
      }),
    ),
  )
  for (const lines of runs) {
    for (const l of lines) {
      const flat = (l.headers ?? []) as string[]
      const headers: Array<[string, string]> = []
      for (let i = 0; i < flat.length; i += 2) headers.push([flat[i]!, flat[i + 1]!])
      out.push({
        topic: l.topic as string,
        partition: l.partition as number,
        offset: l.offset as number,
        key: l.key as string | null,
        value: l.payload as string | null,
        headers,
        timestamp: l.ts as number,
      })
    }
  }
  return sortRecords(out)
}

/** The high watermark of every non-empty partition, through the kafkajs admin client. */
async function highWatermarks(bootstrap: string, topics: string[]): Promise<Map<string, number>> {
  const admin = kafkajs(bootstrap).admin()
  await admin.connect()
  try {
    const out = new Map<string, number>()
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (Number(p.high) > Number(p.low)) out.set(`${topic}/${p.partition}`, Number(p.high))
      }
    }
    return out
  } finally {
    await admin.disconnect()
  }
}

let readerGroups = 0

/** Reads with a kafkajs consumer in a fresh group, from the beginning, until every partition's high watermark. */
export async function readWithKafkajs(
  bootstrap: string,
  topics: string[],
  timeoutMs = 20_000,
): Promise<Rec[]> {
  const want = await highWatermarks(bootstrap, topics)
  const consumer = kafkajs(bootstrap).consumer({
    groupId: `interop-kafkajs-reader-${process.pid}-${++readerGroups}`,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTimeInMs: 100,
  })
  await consumer.connect()
  const out: Rec[] = []
  const done = new Set<string>()
  try {
    await consumer.subscribe({ topics, fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Array<[string, string]> = []
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          for (const one of Array.isArray(v) ? v : [v]) headers.push([k, one!.toString('utf8')])
        }
        out.push({
          topic,
          partition,
          offset: Number(message.offset),
          key: message.key === null ? null : message.key.toString('utf8'),
          value: message.value === null ? null : message.value.toString('utf8'),
          headers,
          timestamp: Number(message.timestamp),
        })
        if (Number(message.offset) >= want.get(`${topic}/${partition}`)! - 1)
          done.add(`${topic}/${partition}`)
      },
    })
    await until(
      timeoutMs,
      () => `kafkajs to read ${[...want.keys()].filter((k) => !done.has(k))}`,
      () => done.size === want.size,
    )
  } finally {
    await consumer.disconnect()
  }
  return sortRecords(out)
}

/** Reads with a @platformatic/kafka consumer from the earliest offsets, no commits, until every high watermark. */
export async function readWithPlatformatic(
  bootstrap: string,
  topics: string[],
  timeoutMs = 20_000,
): Promise<Rec[]> {
  const want = await highWatermarks(bootstrap, topics)
  const consumer = new PltConsumer({
    clientId: 'riffle-interop-plt-reader',
    groupId: `interop-plt-reader-${process.pid}-${++readerGroups}`,
    bootstrapBrokers: [bootstrap],
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    maxWaitTime: 100,
    retries: 3,
    retryDelay: 200,
  })
  const out: Rec[] = []
  const done = new Set<string>()
  try {
    const stream = await consumer.consume({ topics, mode: 'earliest', autocommit: false })
    let failure: Error | undefined
    stream.on('error', (e: Error) => {
      failure = e
    })
    stream.on('data', (m) => {
      out.push({
        topic: m.topic,
        partition: m.partition,
        offset: Number(m.offset),
        key: m.key === undefined || m.key === null ? null : m.key.toString('utf8'),
        value: m.value === undefined || m.value === null ? null : m.value.toString('utf8'),
        headers: m.headerEntries.map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]),
        timestamp: Number(m.timestamp),
      })
      if (Number(m.offset) >= want.get(`${m.topic}/${m.partition}`)! - 1)
        done.add(`${m.topic}/${m.partition}`)
    })
    await until(
      timeoutMs,
      () => `@platformatic/kafka to read ${[...want.keys()].filter((k) => !done.has(k))}`,
      () => {
        if (failure) throw failure
        return done.size === want.size
      },
    )
    await stream.close()
  } finally {
    await consumer.close(true)
  }
  return sortRecords(out)
}

export type ReaderName = 'kafkajs' | '@platformatic/kafka' | 'kcat' | 'confluent-kafka' | 'kafka-python'

export const READERS: Record<
  ReaderName,
  (t: TestContext, bootstrap: string, topics: string[]) => Promise<Rec[]>
> = {
  kafkajs: (_t, b, topics) => readWithKafkajs(b, topics),
  '@platformatic/kafka': (_t, b, topics) => readWithPlatformatic(b, topics),
  kcat: readWithKcat,
  'confluent-kafka': readWithConfluent,
  'kafka-python': readWithKafkaPython,
}

/** Creates topics through the kafkajs admin client and checks they were created. */
export async function createTopics(
  bootstrap: string,
  topics: Array<{ topic: string; partitions: number; configs?: Record<string, string> }>,
): Promise<void> {
  const admin = kafkajs(bootstrap).admin()
  await admin.connect()
  try {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((x) => ({
        topic: x.topic,
        numPartitions: x.partitions,
        configEntries: Object.entries(x.configs ?? {}).map(([name, value]) => ({ name, value })),
      })),
    })
    assert.equal(created, true, `topics ${topics.map((x) => x.topic)} created`)
  } finally {
    await admin.disconnect()
  }
}

// ---------------------------------------------------------------------------------------------
// Consumer-group members

/** One member of the group, whatever the client library. */
export interface Member {
  readonly name: string
  /** Records consumed and committed, in the order they were. */
  readonly records: Rec[]
  /** The partitions currently assigned (empty while unassigned or rebalancing). */
  assignment(): number[]
  stop(): Promise<void>
}

export type MemberFactory = (t: TestContext, name: string, group: string, topic: string) => Promise<Member>

/** A kafkajs consumer committing each record before counting it (autoCommit off). */
export const kafkajsMember =
  (bootstrap: string): MemberFactory =>
  async (_t, name, group, topic) => {
    const consumer = kafkajs(bootstrap, `interop-${name}`).consumer({
      groupId: group,
      sessionTimeout: 6000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
      maxWaitTimeInMs: 100,
      retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
    })
    const records: Rec[] = []
    let assigned: number[] = []
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      assigned = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)
    })
    consumer.on(consumer.events.REBALANCING, () => {
      assigned = []
    })
    await consumer.connect()
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        await consumer.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }])
        const headers: Array<[string, string]> = []
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          for (const one of Array.isArray(v) ? v : [v]) headers.push([k, one!.toString('utf8')])
        }
        records.push({
          topic,
          partition,
          offset: Number(message.offset),
          key: message.key?.toString('utf8') ?? null,
          value: message.value?.toString('utf8') ?? null,
          headers,
          timestamp: Number(message.timestamp),
        })
      },
    })
    let stopped = false
    const stop = async () => {
      if (stopped) return
      stopped = true
      await consumer.disconnect()
    }
    _t.after(stop)
    return { name, records, assignment: () => assigned, stop }
  }

/** A confluent-kafka member process (clients/ck_group_member.py). */
export const confluentMember =
  (bootstrap: string): MemberFactory =>
  async (t, name, group, topic) => {
    const proc = new JsonLines(t, PYTHON, [
      clientScript('ck_group_member.py'),
      '--bootstrap',
      bootstrap,
      '--group',
      group,
      '--topic',
      topic,
    ])
    const member: Member = {
      name,
      get records() {
        return proc.lines.filter((l) => l.event === 'record').map(({ event: _, ...r }) => r as unknown as Rec)
      },
      assignment() {
        let current: number[] = []
        for (const l of proc.lines) {
          if (l.event === 'assigned') current = l.partitions as number[]
          if (l.event === 'revoked') current = []
        }
        return current
      },
      async stop() {
        if (!proc.running) return
        proc.closeInput()
        await proc.done(15_000, `${name} to close`)
        assert.deepEqual(proc.lines.at(-1), { event: 'closed' })
      },
    }
    return member
  }

/** A @platformatic/kafka consumer: reads from the committed offsets, commits each record before counting it. */
export const platformaticMember =
  (bootstrap: string): MemberFactory =>
  async (t, name, group, topic) => {
    const consumer = new PltConsumer({
      clientId: `interop-${name}`,
      groupId: group,
      bootstrapBrokers: [bootstrap],
      sessionTimeout: 6000,
      rebalanceTimeout: 10_000,
      heartbeatInterval: 300,
      maxWaitTime: 100,
      retries: 5,
      retryDelay: 200,
    })
    const records: Rec[] = []
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: false,
    })
    const loop = (async () => {
      for await (const m of stream) {
        try {
          await m.commit()
        } catch {
          continue // not ours any more: its next owner reads it from the last commit
        }
        records.push({
          topic,
          partition: m.partition,
          offset: Number(m.offset),
          key: m.key === undefined || m.key === null ? null : m.key.toString('utf8'),
          value: m.value === undefined || m.value === null ? null : m.value.toString('utf8'),
          headers: m.headerEntries.map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]),
          timestamp: Number(m.timestamp),
        })
      }
    })()
    let stopped = false
    const stop = async () => {
      if (stopped) return
      stopped = true
      await stream.close()
      await loop
      await consumer.close()
    }
    t.after(stop)
    return {
      name,
      records,
      assignment: () =>
        (consumer.assignments ?? [])
          .filter((a) => a.topic === topic)
          .flatMap((a) => a.partitions)
          .sort((a, b) => a - b),
      stop,
    }
  }
