import path from 'node:path'
// bench/broker: the Kafka-protocol broker (`riffle serve` as a child process) measured from clients
// over TCP, next to raw node:fs doing the same disk I/O in the same run: produce throughput (acks=-1,
// fsync=always), consume throughput reading that data back, and produce-to-consume latency at a
// fixed rate; and transactional produce next to non-transactional produce of the same messages,
// both through the broker. See docs/BENCHMARKS.md for what each case and baseline is.
import {
  type Comparison,
  KiB,
  type Measurement,
  MiB,
  type Side,
  compare,
  compareOn,
  median,
} from '../lib/measure.ts'
import type { BenchModule, BenchOptions } from '../lib/module.ts'
import {
  type BenchReport,
  type CaseResult,
  REPO_DIR,
  caseResult,
  formatNumber,
  machineInfo,
  progressLine,
  reportHead,
  summaryLine,
} from '../lib/report.ts'
import { scratchRoot } from '../lib/tmpdir.ts'
import { buildWorkload } from '../log/workload.ts'
import {
  type ConsumeTarget,
  FETCH_MAX_BYTES,
  PARTITION_FETCH_BYTES,
  rawConsumer,
  riffleConsumer,
} from './consume.ts'
import { cpuSampler } from './cpu.ts'
import { type LatencyRun, type LatencySession, rawLatency, riffleLatency } from './latency.ts'
import { type ProduceShape, type ThroughputSession, rawProducer, riffleProducer } from './produce.ts'
import {
  RdkafkaClient,
  type RdkafkaSettings,
  rdkafkaConsumer,
  rdkafkaLatency,
  rdkafkaProducer,
} from './rdkafka.ts'
import { type RunningBroker, runBroker } from './server.ts'
import { type TxnSession, type TxnShape, buildTxnMessages, txnProducer } from './transactions.ts'

const RECORD_BYTES = 1 * KiB
const REPS = 15
/** Measured runs per side for the cases driven by librdkafka (slower per run). */
const REAL_CLIENT_REPS = 9
const LATENCY_REPS = 5
const TARGET_RATIO = 0.5
const TOPIC_CONFIGS = { fsync: 'always', 'retention.ms': '-1' }

interface ProduceCase {
  key: string
  partitions: number
  batchBytes: number
  depth: number
  /** Bytes produced per measured run. */
  sliceBytes: number
}

/** The wire client's produce shapes: requests of about 1 MiB either way. */
const PRODUCE_CASES: ProduceCase[] = [
  { key: 'p4', partitions: 4, batchBytes: 256 * KiB, depth: 8, sliceBytes: 64 * MiB },
  { key: 'p1', partitions: 1, batchBytes: 1 * MiB, depth: 8, sliceBytes: 64 * MiB },
]
/** The produce case whose topic the consume cases read back, and whose shape librdkafka's baseline uses. */
const MAIN = PRODUCE_CASES[0]!

/** librdkafka's producer for throughput: full 1 MB batches (its batch.size and message.max.bytes). */
const RDKAFKA_THROUGHPUT: RdkafkaSettings = {
  producer: { 'linger.ms': 20, 'batch.size': 1_000_000, 'queue.buffering.max.kbytes': 262_144 },
  consumer: { 'fetch.wait.max.ms': 500 },
}
/** librdkafka for latency: no linger (each message is sent as soon as possible), long-polling consumer. */
const RDKAFKA_LATENCY: RdkafkaSettings = {
  producer: { 'linger.ms': 0 },
  consumer: { 'fetch.wait.max.ms': 500, 'fetch.min.bytes': 1 },
}
const LATENCY_RATE = 2000
const LATENCY_RUN_MS = 2000

/**
 * Transactions of 1,000 messages: 10 Produce requests, each with one 25-message batch for each of
 * 4 partitions, 5 requests in flight (the most a Kafka client allows an idempotent or transactional
 * producer); the non-transactional side sends the same requests, 5 in flight, without boundaries.
 */
const TXN = { partitions: 4, recordsPerBatch: 25, requestsPerTxn: 10, depth: 5, transactionsPerRun: 64 }
const TXN_ID = 'riffle-bench-txn'

const BASELINES: Record<string, string> = {
  'writev+fdatasync/round, 4 files': `one file per partition, each behind a minimal group-commit writer (everything queued written with one fs.writev, then one fs.fdatasync, per round), driven by the same ${MAIN.depth} requests in flight, each request appending its batch to every file: the broker's partition writers' I/O, same bytes, same cadence, without network, protocol or broker`,
  'writev+fdatasync/round, 1 file':
    'the same group-commit writer on one file, driven by the same 8 requests in flight of one 1 MiB batch each',
  'read 1 MiB/partition rounds':
    "the broker's own segment files of the topic read by this process with fs.read: rounds of one read of up to 1 MiB per partition, partition after partition, into fresh buffers (the broker's read pattern; page cache, as for the broker)",
  'write+fdatasync, same schedule':
    'the same messages on the same schedule appended by this process to one file through the group-commit writer; latency from the append call to the end of the fdatasync that made the message durable: the floor a fsync=always topic sets, since consumers only see durable data',
  'non-transactional produce, same messages': `the same broker, the same Produce requests (the same batches without producer id, acks=-1) to another topic with the same partitions and configs, ${TXN.depth} in flight on one connection, sent continuously: what the transactions' protocol (AddPartitionsToTxn, EndTxn, the commit markers, waiting for a transaction's last acknowledgement before ending it) costs on top of producing the same messages`,
}

/** A per-run log line with broker CPU, when the run has it. */
function onPair(title: string, unit: string, opts: BenchOptions) {
  if (!opts.verbose) return {}
  const base = progressLine(title, unit)
  return {
    onPair: (rep: number, r: Measurement, b: Measurement) => {
      base(rep, r, b)
      const broker = r.details?.brokerCores
      const client = r.details?.clientCores
      if (typeof broker === 'number' && typeof client === 'number')
        console.log(`      CPU: broker ${broker.toFixed(2)} cores, client ${client.toFixed(2)} cores`)
    },
  }
}

/** Median msgs/s of each side (from the runs' details) for the params of a case. */
function msgRates(c: Comparison): Record<string, number> {
  const rate = (d: Record<string, number | string>[]) => median(d.map((x) => Number(x.msgsPerSec)))
  const out: Record<string, number> = {
    riffleMsgsPerSec: Math.round(rate(c.riffle.details)),
    baselineMsgsPerSec: Math.round(rate(c.baseline.details)),
  }
  for (const key of ['brokerCores', 'clientCores'] as const) {
    const cores = c.riffle.details.map((d) => Number(d[key])).filter((x) => Number.isFinite(x))
    if (cores.length > 0) out[key] = Number(median(cores).toFixed(2))
  }
  return out
}

async function throughputCase(
  riffle: ThroughputSession,
  baseline: ThroughputSession,
  count: number,
  reps: number,
  opts: BenchOptions,
  fields: { id: string; title: string; baselineLabel: string; params: CaseResult['params']; target?: number },
): Promise<CaseResult> {
  const result = await compare({
    reps,
    warmup: { riffle: () => riffle.slice(count), baseline: () => baseline.slice(count) },
    riffle: () => riffle.slice(count),
    baseline: () => baseline.slice(count),
    ...onPair(fields.title, 'MB/s', opts),
  })
  const rates = msgRates(result)
  console.log(
    `${summaryLine(fields.title, result, 'MB/s')}; ${formatNumber(rates.riffleMsgsPerSec!)} msgs/s, CPU: broker ${rates.brokerCores} cores, client ${rates.clientCores} cores`,
  )
  const out = caseResult(result, {
    id: fields.id,
    title: fields.title,
    unit: 'MB/s',
    baselineLabel: fields.baselineLabel,
    params: { ...fields.params, ...rates },
    ...(fields.target === undefined ? {} : { targetRatio: fields.target }),
  })
  out.secondary = { unit: 'msgs/s', riffle: rates.riffleMsgsPerSec!, baseline: rates.baselineMsgsPerSec! }
  return out
}

/** Transactional produce against non-transactional produce of the same messages (both the broker). */
async function transactionCase(
  riffle: TxnSession,
  baseline: TxnSession,
  count: number,
  reps: number,
  opts: BenchOptions,
  fields: { id: string; title: string; baselineLabel: string; params: CaseResult['params'] },
): Promise<CaseResult> {
  const result = await compare({
    reps,
    warmup: { riffle: () => riffle.slice(count), baseline: () => baseline.slice(count) },
    riffle: () => riffle.slice(count),
    baseline: () => baseline.slice(count),
    ...onPair(fields.title, 'MB/s', opts),
  })
  const rates = msgRates(result)
  const detail = (s: Side, key: string) => median(s.details.map((d) => Number(d[key])))
  const riffleTxns = detail(result.riffle, 'transactionsPerSec')
  const baselineGroups = detail(result.baseline, 'transactionsPerSec')
  const baselineBroker = detail(result.baseline, 'brokerCores')
  const baselineClient = detail(result.baseline, 'clientCores')
  // Per transaction: the wait for AddPartitionsToTxn and for EndTxn (the rest is producing).
  const perTxn = (key: string) =>
    median(result.riffle.details.map((d) => Number(d[key]) / Number(d.transactions)))
  const addMs = perTxn('addPartitionsMs')
  const endMs = perTxn('endTxnMs')
  const txnMs = perTxn('ms')
  console.log(
    `${summaryLine(fields.title, result, 'MB/s', ['transactional', 'non-transactional'])}; ${formatNumber(riffleTxns)} transactions/s against ${formatNumber(baselineGroups)} groups of 1,000 messages/s, ${formatNumber(rates.riffleMsgsPerSec!)} / ${formatNumber(rates.baselineMsgsPerSec!)} msgs/s, CPU: broker ${rates.brokerCores} / ${baselineBroker.toFixed(2)} cores, client ${rates.clientCores} / ${baselineClient.toFixed(2)} cores; per transaction ${txnMs.toFixed(2)} ms, of which AddPartitionsToTxn ${addMs.toFixed(2)} ms, EndTxn ${endMs.toFixed(2)} ms`,
  )
  const out = caseResult(result, {
    id: fields.id,
    title: fields.title,
    unit: 'MB/s',
    baselineLabel: fields.baselineLabel,
    params: {
      ...fields.params,
      ...rates,
      riffleTransactionsPerSec: Number(riffleTxns.toFixed(1)),
      baselineThousandMessageGroupsPerSec: Number(baselineGroups.toFixed(1)),
      baselineBrokerCores: Number(baselineBroker.toFixed(2)),
      baselineClientCores: Number(baselineClient.toFixed(2)),
      riffleMsPerTransaction: Number(txnMs.toFixed(2)),
      riffleAddPartitionsMsPerTransaction: Number(addMs.toFixed(2)),
      riffleEndTxnMsPerTransaction: Number(endMs.toFixed(2)),
    },
  })
  out.secondary = { unit: 'msgs/s', riffle: rates.riffleMsgsPerSec!, baseline: rates.baselineMsgsPerSec! }
  return out
}

async function latencyCases(
  riffle: LatencySession,
  baseline: LatencySession,
  reps: number,
  run: LatencyRun,
  opts: BenchOptions,
  fields: { id: string; title: string; params: CaseResult['params'] },
): Promise<CaseResult[]> {
  const warm: LatencyRun = { ...run, ms: Math.min(run.ms, 1000) }
  const result = await compare({
    reps,
    warmup: { riffle: () => riffle.run(warm), baseline: () => baseline.run(warm) },
    riffle: () => riffle.run(run),
    baseline: () => baseline.run(run),
    ...onPair(`${fields.title} p50`, 'ms', opts),
  })
  const out: CaseResult[] = []
  for (const q of ['p50', 'p99', 'max'] as const) {
    const c = compareOn(result, (d) => Number(d[q]))
    const title = `${fields.title} ${q}`
    console.log(summaryLine(title, c, 'ms'))
    const all = (s: Comparison['riffle']) => Math.max(...s.details.map((d) => Number(d.max)))
    out.push(
      caseResult(c, {
        id: `${fields.id}-${q}`,
        title,
        unit: 'ms',
        higherIsBetter: false,
        baselineLabel: 'write+fdatasync, same schedule',
        params: {
          ...fields.params,
          ratePerSec: run.rate,
          runMs: run.ms,
          ...(q === 'max'
            ? { riffleMaxOverAllRuns: all(c.riffle), baselineMaxOverAllRuns: all(c.baseline) }
            : {}),
        },
      }),
    )
  }
  return out
}

async function run(opts: BenchOptions): Promise<BenchReport> {
  const started = Date.now()
  const machine = machineInfo(scratchRoot())
  const reps = opts.quick ? 3 : REPS
  const realReps = opts.quick ? 3 : REAL_CLIENT_REPS
  const latencyReps = opts.quick ? 3 : LATENCY_REPS
  const scale = opts.quick ? 1 / 16 : 1
  const librdkafka = RdkafkaClient.available()
  const cases: CaseResult[] = []
  const notes: string[] = []
  const latencyRun: LatencyRun = {
    rate: LATENCY_RATE,
    ms: LATENCY_RUN_MS * (opts.quick ? 0.25 : 1),
    recordBytes: RECORD_BYTES,
  }
  console.log(
    `data in ${scratchRoot()}; ${reps} measured runs per side per case (${realReps} with librdkafka)`,
  )

  const broker: RunningBroker = await runBroker()
  const clients: RdkafkaClient[] = []
  try {
    const cpu = cpuSampler(broker.pid)
    // 1. Produce with the wire client, against the raw group-commit writer with the same shape.
    for (const pc of PRODUCE_CASES) {
      const w = buildWorkload(pc.batchBytes, RECORD_BYTES)
      const topic = `produce-${pc.key}`
      await broker.createTopic(topic, pc.partitions, TOPIC_CONFIGS)
      const shape: ProduceShape = {
        topic,
        partitions: pc.partitions,
        batch: w.batch,
        recordsPerBatch: w.recordsPerBatch,
        depth: pc.depth,
      }
      const count = Math.max(pc.depth, Math.round((pc.sliceBytes * scale) / (w.batch.length * pc.partitions)))
      const riffle = await riffleProducer(broker, shape)
      const baseline = rawProducer(shape)
      try {
        const size = pc.batchBytes >= MiB ? `${pc.batchBytes / MiB} MiB` : `${pc.batchBytes / KiB} KiB`
        const title = `produce: wire client, ${pc.partitions} partition${pc.partitions > 1 ? 's' : ''} × ${size} batches, ${pc.depth} in flight`
        cases.push(
          await throughputCase(riffle, baseline, count, reps, opts, {
            id: `produce-wire-${pc.key}`,
            title,
            baselineLabel: `writev+fdatasync/round, ${pc.partitions} file${pc.partitions > 1 ? 's' : ''}`,
            target: TARGET_RATIO,
            params: {
              client: 'wire (Riffle codec, pre-encoded requests)',
              acks: -1,
              fsync: 'always',
              partitions: pc.partitions,
              batchBytes: w.batch.length,
              recordsPerBatch: w.recordsPerBatch,
              recordBytes: RECORD_BYTES,
              requestBytes: w.batch.length * pc.partitions,
              inFlight: pc.depth,
              requestsPerRun: count,
              bytesPerRun: count * w.batch.length * pc.partitions,
            },
          }),
        )
      } finally {
        await riffle.close()
        await baseline.close()
      }
    }

    // 2. Produce with librdkafka, against the raw writer in the main wire-client shape.
    const mainWork = buildWorkload(MAIN.batchBytes, RECORD_BYTES)
    const mainShape: ProduceShape = {
      topic: `produce-${MAIN.key}`,
      partitions: MAIN.partitions,
      batch: mainWork.batch,
      recordsPerBatch: mainWork.recordsPerBatch,
      depth: MAIN.depth,
    }
    const mainCount = Math.max(
      MAIN.depth,
      Math.round((MAIN.sliceBytes * scale) / (mainWork.batch.length * MAIN.partitions)),
    )
    if (librdkafka) {
      const topic = 'produce-rdkafka'
      await broker.createTopic(topic, MAIN.partitions, TOPIC_CONFIGS)
      const client = RdkafkaClient.start(broker.bootstrap, RDKAFKA_THROUGHPUT)
      clients.push(client)
      // Connects and fetches metadata, untimed.
      await client.command({
        op: 'produce',
        topic,
        partitions: MAIN.partitions,
        count: 100,
        size: RECORD_BYTES,
      })
      const msgs = Math.round((MAIN.sliceBytes * scale) / RECORD_BYTES)
      const riffle = rdkafkaProducer(
        client,
        broker.dataDir,
        { topic, partitions: MAIN.partitions, recordBytes: RECORD_BYTES },
        cpu,
      )
      const baseline = rawProducer(mainShape)
      try {
        cases.push(
          await throughputCase(
            { slice: () => riffle.slice(msgs), close: () => riffle.close() },
            { slice: () => baseline.slice(mainCount), close: () => baseline.close() },
            msgs,
            realReps,
            opts,
            {
              id: `produce-rdkafka-${MAIN.key}`,
              title: `produce: librdkafka ${librdkafka}, ${MAIN.partitions} partitions, linger.ms=20, batch.size=1000000`,
              baselineLabel: `writev+fdatasync/round, ${MAIN.partitions} files`,
              params: {
                client: `librdkafka ${librdkafka} (confluent_kafka, Python)`,
                acks: 'all',
                fsync: 'always',
                partitions: MAIN.partitions,
                recordBytes: RECORD_BYTES,
                messagesPerRun: msgs,
                producerConfig: JSON.stringify(RDKAFKA_THROUGHPUT.producer),
                baselineShape: `${MAIN.partitions} files × ${mainWork.batch.length}-byte batches, ${MAIN.depth} requests in flight (the wire client's shape)`,
              },
            },
          ),
        )
      } finally {
        await baseline.close()
      }
    } else notes.push('librdkafka (confluent_kafka in /usr/bin/python3) not found: its cases were skipped')

    // 3. Consume what the main produce case wrote: the first batches of every partition.
    const batchesPerFetch = Math.max(1, Math.floor(PARTITION_FETCH_BYTES / mainWork.batch.length))
    const batchesPerPartition =
      batchesPerFetch *
      Math.max(1, Math.round((64 * MiB * scale) / (batchesPerFetch * mainWork.batch.length)))
    const target: ConsumeTarget = {
      topic: mainShape.topic,
      partitions: MAIN.partitions,
      bytesPerPartition: batchesPerPartition * mainWork.batch.length,
      recordsPerPartition: batchesPerPartition * mainWork.recordsPerBatch,
    }
    const consumeParams = {
      acks: -1,
      partitions: MAIN.partitions,
      batchBytes: mainWork.batch.length,
      recordBytes: RECORD_BYTES,
      bytesPerRun: target.bytesPerPartition * target.partitions,
      recordsPerRun: target.recordsPerPartition * target.partitions,
      partitionMaxBytes: PARTITION_FETCH_BYTES,
      fetchMaxBytes: FETCH_MAX_BYTES,
    }
    {
      const riffle = await riffleConsumer(broker, target)
      const baseline = rawConsumer(broker.dataDir, target)
      try {
        cases.push(
          await throughputCase(riffle, baseline, 0, reps, opts, {
            id: `consume-wire-${MAIN.key}`,
            title: `consume: wire client, ${MAIN.partitions} partitions, 1 fetch in flight`,
            baselineLabel: 'read 1 MiB/partition rounds',
            params: {
              client: 'wire (Riffle codec; walks batch headers, does not decode records)',
              ...consumeParams,
            },
          }),
        )
      } finally {
        await riffle.close()
      }
    }
    if (librdkafka) {
      const client = clients[0]!
      const riffle = rdkafkaConsumer(client, target, cpu)
      const baseline = rawConsumer(broker.dataDir, target)
      cases.push(
        await throughputCase(riffle, baseline, 0, realReps, opts, {
          id: `consume-rdkafka-${MAIN.key}`,
          title: `consume: librdkafka ${librdkafka}, ${MAIN.partitions} partitions`,
          baselineLabel: 'read 1 MiB/partition rounds',
          params: {
            client: `librdkafka ${librdkafka} (confluent_kafka, Python; every message handed to Python)`,
            consumerConfig: JSON.stringify(RDKAFKA_THROUGHPUT.consumer),
            ...consumeParams,
          },
        }),
      )
    }

    // 4. Latency at a fixed rate, against the disk's durability latency on the same schedule.
    {
      await broker.createTopic('latency-wire', 1, TOPIC_CONFIGS)
      const riffle = await riffleLatency(broker, 'latency-wire')
      const baseline = rawLatency()
      try {
        cases.push(
          ...(await latencyCases(riffle, baseline, latencyReps, latencyRun, opts, {
            id: 'latency-wire',
            title: `latency: wire client, ${LATENCY_RATE} msgs/s`,
            params: {
              client:
                'wire: one request per message, acks=-1; consumer long-polls (maxWaitMs 500, minBytes 1)',
              fsync: 'always',
              partitions: 1,
              recordBytes: RECORD_BYTES,
            },
          })),
        )
      } finally {
        await riffle.close()
        await baseline.close()
      }
    }
    if (librdkafka) {
      await broker.createTopic('latency-rdkafka', 1, TOPIC_CONFIGS)
      const client = RdkafkaClient.start(broker.bootstrap, RDKAFKA_LATENCY)
      clients.push(client)
      const riffle = rdkafkaLatency(client, 'latency-rdkafka')
      const baseline = rawLatency()
      try {
        cases.push(
          ...(await latencyCases(riffle, baseline, latencyReps, latencyRun, opts, {
            id: 'latency-rdkafka',
            title: `latency: librdkafka, ${LATENCY_RATE} msgs/s`,
            params: {
              client: `librdkafka ${librdkafka}: producer acks=all linger.ms=0, consumer fetch.wait.max.ms=500 fetch.min.bytes=1, one Python process`,
              fsync: 'always',
              partitions: 1,
              recordBytes: RECORD_BYTES,
            },
          })),
        )
      } finally {
        await baseline.close()
      }
    }

    // 5. Transactional produce against non-transactional produce of the same messages, both through
    // the broker; then the last transaction read back with read_committed (untimed).
    {
      const base = {
        partitions: TXN.partitions,
        recordsPerBatch: TXN.recordsPerBatch,
        recordBytes: RECORD_BYTES,
        requestsPerTxn: TXN.requestsPerTxn,
        depth: TXN.depth,
      }
      const txnShape: TxnShape = { ...base, topic: 'produce-txn' }
      const plainShape: TxnShape = { ...base, topic: 'produce-txn-plain' }
      await broker.createTopic(txnShape.topic, TXN.partitions, TOPIC_CONFIGS)
      await broker.createTopic(plainShape.topic, TXN.partitions, TOPIC_CONFIGS)
      const messages = buildTxnMessages(txnShape)
      const count = Math.max(2, Math.round(TXN.transactionsPerRun * scale))
      const perTxn = TXN.partitions * TXN.requestsPerTxn * TXN.recordsPerBatch
      const riffle = await txnProducer(broker, txnShape, messages, TXN_ID)
      const baseline = await txnProducer(broker, plainShape, messages, null)
      try {
        const c = await transactionCase(riffle, baseline, count, reps, opts, {
          id: `produce-txn-${MAIN.key}`,
          title: `produce: transactions of ${perTxn.toLocaleString('en-US')} messages, ${TXN.partitions} partitions × ${TXN.requestsPerTxn} requests, ${TXN.depth} in flight`,
          baselineLabel: 'non-transactional produce, same messages',
          params: {
            client:
              'wire (Riffle codec): InitProducerId v4 once, per transaction AddPartitionsToTxn v3, Produce v9 pipelined, EndTxn v3 commit',
            acks: -1,
            fsync: 'always',
            partitions: TXN.partitions,
            recordBytes: RECORD_BYTES,
            messagesPerTransaction: perTxn,
            requestsPerTransaction: TXN.requestsPerTxn,
            recordsPerBatch: TXN.recordsPerBatch,
            requestBytes: messages.requestBytes,
            inFlight: TXN.depth,
            transactionsPerRun: count,
            bytesPerRun: count * TXN.requestsPerTxn * messages.requestBytes,
          },
        })
        // Outside the timed runs: the last transaction must read back whole with read_committed.
        const verified = await riffle.verifyLastTransaction()
        console.log(`    verified: ${verified}`)
        c.params.verification = verified
        cases.push(c)
      } finally {
        await riffle.close()
        await baseline.close()
      }
    }
  } finally {
    for (const c of clients) await c.close()
    await broker.stop()
  }

  notes.push(
    'the broker runs as a child process (riffle serve); clients and baselines run in the benchmark process, on the same 2-core machine',
    'consume cases read data just written: both sides are served from the page cache, so they measure the software path, not the disk',
    'latency rows: each figure is the median over the runs of that run’s p50, p99 or maximum; riffleMaxOverAllRuns in the JSON is the largest single latency seen',
    'transactions row: both sides go through the broker (its baseline is non-transactional produce, not raw node:fs); its params have transactions/s, and each side’s CPU',
  )
  return {
    ...reportHead(
      'broker',
      'Riffle broker (riffle serve, Kafka protocol over TCP) vs raw node:fs, same run',
      started,
      opts.quick,
      machine,
    ),
    settings: {
      reps,
      realClientReps: realReps,
      latencyReps,
      recordBytes: RECORD_BYTES,
      topicConfigs: TOPIC_CONFIGS,
      librdkafka: librdkafka ?? 'not available',
      broker: `${[...broker.nodeArgs, path.relative(REPO_DIR, broker.cli)].join(' ')} serve --kafka 127.0.0.1:0 --http off`,
      latencyRatePerSec: LATENCY_RATE,
      latencyRunMs: latencyRun.ms,
      order:
        'one unmeasured warm-up run per side, then riffle and baseline alternate run by run (ABBA...); each produce case appends to one topic (and one set of raw files) for all its runs',
      throughputUnit: 'MB/s = 10^6 bytes of record batches per second',
    },
    baselines: BASELINES,
    cases,
    notes,
  }
}

const brokerBench: BenchModule = {
  name: 'broker',
  title: 'Kafka-protocol broker: produce, consume, latency',
  run,
}
export default brokerBench
