// The transaction of one task of a scaled-out pipeline (Kafka Streams' exactly-once per task). Its
// transactional id names the task, `riffle-<pipeline>-<stage>-<task>`, so whichever process holds
// the task next fences the one before with InitProducerId, which also aborts what that one had
// open. Everything the task writes between two checkpoints (its topic sinks, its dead letters, its
// exchange output) and the checkpoint itself (StateTopicCheckpoints) is one transaction: the
// checkpoint commits it, so output, state and input positions become visible together or not at
// all, and recovery is only "fence, then read the latest committed checkpoint".
import { Producer as PltProducer, type Producer } from '@platformatic/kafka'
import type { Plain } from '../../engine/serde/plain.ts'
import type { Message, TransactionalOutput } from './sink.ts'

const TRANSACTION_TIMEOUT_MS = 60_000
/** InitProducerId as a new incarnation: no producer id, no epoch (the client's default, 0/0, is
 * answered PRODUCER_FENCED by a coordinator that already knows the transactional id). */
const FRESH = { producerId: -1n, producerEpoch: -1 }

type AnyProducer = Producer<Buffer, Buffer, Buffer, Buffer>
type AnyTransaction = Awaited<ReturnType<AnyProducer['beginTransaction']>>

export class TaskTransaction implements TransactionalOutput {
  readonly transactionalId: string
  private readonly producer: AnyProducer
  private current: Promise<AnyTransaction> | null = null
  private recovering: Promise<void> | null = null

  constructor(bootstrap: string[], clientId: string, transactionalId: string) {
    this.transactionalId = transactionalId
    this.producer = new PltProducer({
      clientId,
      bootstrapBrokers: bootstrap,
      transactionalId,
      idempotent: true,
      acks: -1,
      timeout: TRANSACTION_TIMEOUT_MS,
    })
  }

  /** Fences the task's previous holder (aborting what it left open); runs once. */
  recover(): Promise<void> {
    this.recovering ??= (async () => {
      this.current = this.producer.beginTransaction(FRESH)
      await this.current
    })()
    return this.recovering
  }

  private transaction(): Promise<AnyTransaction> {
    if (!this.recovering) throw new Error('task transaction written before recover()')
    this.current ??= this.producer.beginTransaction(FRESH)
    return this.current
  }

  async send(messages: Message[]): Promise<void> {
    const txn = await this.transaction()
    await txn.send({ messages })
  }

  /** Nothing to remember: the checkpoint is written inside the transaction it would name. */
  prepare(): Plain {
    return null
  }

  /** Commits what was sent; the checkpoint storage calls it once the checkpoint is in. */
  async commitNow(): Promise<void> {
    const txn = await this.transaction()
    this.current = null
    await txn.commit()
  }

  /** The sinks' phase two: the checkpoint's write has committed already. */
  async commit(): Promise<void> {}

  async close(): Promise<void> {
    await this.producer.close(true)
  }
}
