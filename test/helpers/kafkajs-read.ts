// Reading a topic back with kafkajs (a third-party client) as a read_committed group consumer.
import type { Kafka } from 'kafkajs'
import type { OutRecord } from './pipelines.ts'

/**
 * Every record of `topic` a read_committed kafkajs consumer sees, once `expected` have arrived (or
 * after 90 s), plus whatever arrives in the second after: a duplicate would show.
 */
export async function readCommitted(kafka: Kafka, topic: string, expected: number): Promise<OutRecord[]> {
  const consumer = kafka.consumer({ groupId: `reader-${Math.random()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const read: OutRecord[] = []
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      read.push({
        partition,
        key: message.key?.toString() ?? null,
        value: message.value?.toString() ?? null,
        timestamp: Number(message.timestamp),
      })
    },
  })
  const deadline = Date.now() + 90_000
  while (read.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100))
  // Anything beyond the expected count (a duplicate) would arrive now.
  await new Promise((r) => setTimeout(r, 1000))
  await consumer.disconnect()
  return read
}
