// Exactly-once output to an external cluster: Kafka transactions committed with the pipeline's
// checkpoints (two-phase commit), shared by every topic sink of the pipeline (and its dead-letter
// topic), so one checkpoint interval's output is one transaction across all of them.
//
// Two transactional ids per pipeline, `riffle-pipeline-<name>-0` and `-1`, used alternately: the
// transaction of interval k runs under id k % 2. That makes a transaction identifiable after a
// crash: a checkpoint stores the transaction it covers (id, producer id, epoch) and the number of
// the one that follows. On restore:
//   1. the checkpoint's transaction is committed with EndTxn under its stored producer id and epoch
//      (a crash may have come between the durable checkpoint and the commit). Under that id no later
//      transaction can have begun: the next one under the same id starts only after the following
//      checkpoint is durable, which would then be the latest.
//   2. a fresh InitProducerId for both ids fences the previous incarnation and aborts whatever it
//      had open (the output after the checkpoint, whose input is replayed).
// A transaction open longer than the cluster's transaction timeout (the producer's `timeout`,
// 60 s here) is aborted by the cluster: a pipeline down that long after a durable checkpoint loses
// that checkpoint's output. Checkpoint intervals must stay well below it.
import {
  Connection,
  Producer as PltProducer,
  type Producer,
  endTxnV3,
  findCoordinatorV4,
} from '@platformatic/kafka'
import { childLogger } from '../../core/logging.ts'
import type { Plain } from '../../engine/serde/plain.ts'
import type { Message, TransactionalOutput } from './sink.ts'

const log = childLogger('pipeline')
const TRANSACTION_TIMEOUT_MS = 60_000
const COORDINATOR_TRANSACTION = 1
/** InitProducerId as a new incarnation: no producer id, no epoch (the client's default is 0/0,
 * which a coordinator that already knows the transactional id answers with PRODUCER_FENCED). */
const FRESH = { producerId: -1n, producerEpoch: -1 }

type AnyProducer = Producer<Buffer, Buffer, Buffer, Buffer>
type AnyTransaction = Awaited<ReturnType<AnyProducer['beginTransaction']>>

/** What a checkpoint stores. */
interface Prepared {
  commit: { transactionalId: string; producerId: string; epoch: number } | null
  /** The number of the transaction that follows the checkpoint. */
  next: number
}

export class KafkaTransactions implements TransactionalOutput {
  readonly ids: [string, string]
  private readonly bootstrap: string[]
  private readonly clientId: string
  private readonly producers: AnyProducer[] = []
  /** The number of the open (or next) transaction. */
  private seq = 0
  private current: Promise<AnyTransaction> | null = null
  private touched = false
  private recovering: Promise<void> | null = null
  private pending: { touched: boolean } | null = null
  private committing: Promise<void> | null = null

  constructor(bootstrap: string[], clientId: string, pipeline: string) {
    this.bootstrap = bootstrap
    this.clientId = clientId
    this.ids = [`riffle-pipeline-${pipeline}-0`, `riffle-pipeline-${pipeline}-1`]
  }

  private producer(i: number): AnyProducer {
    this.producers[i] ??= new PltProducer({
      clientId: this.clientId,
      bootstrapBrokers: this.bootstrap,
      transactionalId: this.ids[i]!,
      idempotent: true,
      acks: -1,
      timeout: TRANSACTION_TIMEOUT_MS,
    })
    return this.producers[i]!
  }

  private transaction(): Promise<AnyTransaction> {
    if (!this.recovering) throw new Error('transactional sink written before recover()')
    this.current ??= this.producer(this.seq % 2).beginTransaction(FRESH)
    return this.current
  }

  async send(messages: Message[]): Promise<void> {
    this.touched = true
    const txn = await this.transaction()
    await txn.send({ messages })
  }

  /** The writers have drained their sends: what the checkpoint must remember. */
  prepare(): Plain {
    const p = this.producers[this.seq % 2]
    const commit =
      this.touched && p
        ? {
            transactionalId: this.ids[this.seq % 2]!,
            producerId: String(p.producerId),
            epoch: p.producerEpoch!,
          }
        : null
    this.pending = { touched: this.touched }
    const s: Prepared = { commit, next: commit ? this.seq + 1 : this.seq }
    return s as unknown as Plain
  }

  /** Once the checkpoint is durable (called by every writer; runs once per checkpoint). */
  commit(): Promise<void> {
    const pending = this.pending
    if (!pending) return this.committing ?? Promise.resolve()
    this.pending = null
    if (!pending.touched) return Promise.resolve()
    this.committing = this.transaction()
      .then((txn) => txn.commit())
      .then(() => {
        this.current = null
        this.touched = false
        this.seq++
      })
    return this.committing
  }

  /** Called by every writer with the latest checkpoint's state; runs once. */
  recover(prepared: Plain | undefined): Promise<void> {
    this.recovering ??= this.doRecover((prepared ?? null) as unknown as Prepared | null)
    return this.recovering
  }

  private async doRecover(s: Prepared | null): Promise<void> {
    if (s?.commit) await this.endTransaction(s.commit)
    this.seq = s?.next ?? 0
    // InitProducerId under both ids: fences the previous incarnation and aborts what it had open.
    // (Beginning a transaction runs InitProducerId; an empty one is ended locally: the cluster has
    // nothing to end, EndTxn would answer INVALID_TXN_STATE.)
    const other = await this.producer((this.seq + 1) % 2).beginTransaction(FRESH)
    await other.cancel()
    this.current = this.producer(this.seq % 2).beginTransaction(FRESH)
    await this.current
  }

  /** EndTxn(commit) for a transaction of a previous incarnation, by its producer id and epoch. */
  private async endTransaction(c: NonNullable<Prepared['commit']>): Promise<void> {
    const [host, port] = splitHostPort(this.bootstrap[0]!)
    const bootstrap = new Connection(this.clientId)
    let coordinator: Connection | null = null
    try {
      await bootstrap.connect(host, port)
      const found = await findCoordinatorV4.api.async(bootstrap, COORDINATOR_TRANSACTION, [c.transactionalId])
      const at = found.coordinators[0]!
      coordinator = new Connection(this.clientId)
      await coordinator.connect(at.host, at.port)
      await endTxnV3.api.async(coordinator, c.transactionalId, BigInt(c.producerId), c.epoch, true)
      log.info(
        { transactionalId: c.transactionalId },
        "committed the checkpoint's transaction a crash left open",
      )
    } catch (e) {
      // Already committed (the usual case: the crash came after the commit), or aborted by the
      // cluster after its transaction timeout (then that output is lost: say so).
      log.info(
        { transactionalId: c.transactionalId, err: e },
        "the checkpoint's transaction could not be committed again (already committed, or aborted by the cluster)",
      )
    } finally {
      await Promise.allSettled([bootstrap.close(), coordinator?.close()])
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.producers.map((p) => p?.close(true)))
  }
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':')
  return [s.slice(0, i), Number(s.slice(i + 1))]
}
