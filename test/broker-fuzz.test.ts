// 100,000+ random and mutated request frames against a real broker process: it must never crash
// and must still serve a normal client afterwards, byte for byte.
import assert from 'node:assert/strict'
import net from 'node:net'
import { test } from 'node:test'
import { encodeRequest } from '../src/protocol/codec/dispatch.ts'
import { decodeRecordBatch, encodeRecordBatch } from '../src/protocol/records/record.ts'
import { startBroker } from './helpers/broker.ts'
import { RawClient } from './helpers/raw-client.ts'
import { fetchRequest } from './helpers/requests.ts'
import { tempDir } from './helpers/tmp.ts'

const FRAMES = 100_000

function seeds(): Buffer[] {
  const h = (correlationId: number) => ({ correlationId, clientId: 'fuzz' })
  const batch = encodeRecordBatch([{ key: 'k', value: 'v', headers: [{ key: 'h', value: 'x' }] }])
  const out: Buffer[][] = []
  for (const v of [0, 1, 2, 3])
    out.push(encodeRequest(18, v, h(1), { clientSoftwareName: 'fuzz', clientSoftwareVersion: '1' }))
  for (const v of [1, 4, 9, 12]) {
    out.push(
      encodeRequest(3, v, h(2), {
        topics: [{ topicId: '00000000-0000-0000-0000-000000000000', name: 'fuzz' }],
        allowAutoTopicCreation: false,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      }),
    )
  }
  for (const v of [3, 7, 9]) {
    out.push(
      encodeRequest(0, v, h(3), {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1000,
        topicData: [{ name: 'fuzz', partitionData: [{ index: 0, records: batch }] }],
      }),
    )
  }
  for (const v of [4, 11, 12]) {
    out.push(encodeRequest(1, v, h(4), fetchRequest('fuzz', 0n, { minBytes: 0 })))
  }
  for (const v of [1, 7]) {
    out.push(
      encodeRequest(2, v, h(5), {
        replicaId: -1,
        isolationLevel: 0,
        topics: [
          {
            name: 'fuzz',
            partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }],
          },
        ],
        timeoutMs: 1000,
      }),
    )
  }
  for (const v of [0, 5, 9]) {
    out.push(
      encodeRequest(11, v, h(6), {
        groupId: 'fuzz-group',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 1000,
        memberId: '',
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [
          { name: 'range', metadata: Buffer.from([0, 1, 0, 0, 0, 1, 0, 4, 102, 117, 122, 122, 0, 0, 0, 0]) },
        ],
        reason: null,
      }),
    )
  }
  for (const v of [0, 4])
    out.push(encodeRequest(10, v, h(7), { key: 'fuzz-group', keyType: 0, coordinatorKeys: ['fuzz-group'] }))
  for (const v of [0, 4]) {
    out.push(
      encodeRequest(32, v, h(8), {
        resources: [{ resourceType: 2, resourceName: 'fuzz', configurationKeys: null }],
        includeSynonyms: false,
        includeDocumentation: false,
      }),
    )
  }
  out.push(encodeRequest(60, 0, h(9), { includeClusterAuthorizedOperations: false, endpointType: 1 }))
  return out.map((chunks) => Buffer.concat(chunks))
}

test(`the broker survives ${FRAMES} random and mutated frames and still serves clients`, async (t) => {
  const broker = await startBroker(t, tempDir(t), {
    args: ['--no-auto-create-topics', '--max-request-bytes', '1048576'],
    env: { RIFFLE_LOG_LEVEL: 'error' },
  })
  const admin = await RawClient.connect(broker.port)
  const created = await admin.request(19, 4, {
    topics: [{ name: 'fuzz', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  })
  assert.equal(created.topics[0]!.errorCode, 0)
  admin.close()

  let seed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)
  t.diagnostic(`seed ${seed} (FUZZ_SEED to replay)`)
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648
    return seed % n
  }
  const base = seeds()
  const mutate = (): Buffer => {
    const f = Buffer.from(base[rand(base.length)]!)
    switch (rand(7)) {
      case 0: // flip a few bytes of the body
        for (let i = rand(8) + 1; i > 0; i--) f[4 + rand(f.length - 4)] = rand(256)
        return f
      case 1: {
        // truncate the body, keeping the size prefix honest
        const cut = 4 + rand(f.length - 4)
        const g = f.subarray(0, cut)
        g.writeInt32BE(cut - 4, 0)
        return g
      }
      case 2: // lie in the size prefix
        f.writeInt32BE(rand(3) === 0 ? -rand(100) : rand(f.length * 2), 0)
        return f
      case 3: // unknown or unsupported api key / version
        f.writeInt16BE(rand(3) === 0 ? rand(100) : f.readInt16BE(4), 4)
        f.writeInt16BE(rand(40) - 5, 6)
        return f
      case 4: {
        // random garbage with a plausible size prefix
        const g = Buffer.alloc(4 + rand(200))
        for (let i = 4; i < g.length; i++) g[i] = rand(256)
        g.writeInt32BE(g.length - 4, 0)
        return g
      }
      case 5: // a length field somewhere set huge
        if (f.length > 12) f.writeInt32BE(0x7ffffff0 - rand(1000), 4 + rand(f.length - 8))
        return f
      default: // the seed itself, valid
        return f
    }
  }

  // Each mutated frame is followed by a probe (a valid ApiVersions request). The probe's answer proves
  // the broker consumed the frame and kept the connection; a close proves it consumed the frame and
  // rejected it. A frame whose size prefix swallows the probe is cut off by a timeout.
  const outcomes = { survived: 0, closed: 0, stalled: 0 }
  let processed = 0
  let probeId = 1_000_000
  const worker = async (): Promise<void> => {
    while (processed < FRAMES) {
      const socket = net.connect(broker.port, '127.0.0.1')
      socket.setNoDelay(true)
      let closed = false
      let onProbe: ((id: number) => void) | null = null
      let buffered = Buffer.alloc(0)
      socket.on('data', (d: Buffer) => {
        buffered = Buffer.concat([buffered, d])
        while (buffered.length >= 8 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          const id = buffered.readInt32BE(4)
          buffered = buffered.subarray(4 + buffered.readInt32BE(0))
          onProbe?.(id)
        }
      })
      const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()))
      socket.on('error', () => {})
      void gone.then(() => {
        closed = true
      })
      await new Promise<void>((resolve) => socket.once('connect', resolve).once('close', resolve))
      while (!closed && processed < FRAMES) {
        const id = probeId++
        const probe = Buffer.concat(
          encodeRequest(
            18,
            0,
            { correlationId: id, clientId: 'probe' },
            { clientSoftwareName: '', clientSoftwareVersion: '' },
          ),
        )
        const answered = new Promise<'survived'>((resolve) => {
          onProbe = (got) => got === id && resolve('survived')
        })
        socket.write(Buffer.concat([mutate(), probe]))
        processed++
        const outcome = await Promise.race([
          answered,
          gone.then(() => 'closed' as const),
          new Promise<'stalled'>((r) => setTimeout(() => r('stalled'), 30).unref()),
        ])
        outcomes[outcome]++
        if (outcome === 'stalled') socket.destroy()
      }
      socket.destroy()
      await gone
    }
  }
  await Promise.all(Array.from({ length: 32 }, worker))
  t.diagnostic(`outcomes ${JSON.stringify(outcomes)}`)
  assert.ok(processed >= FRAMES)
  // The mix is real: many frames were rejected with a close, many were answered or ignored.
  assert.ok(outcomes.closed > FRAMES / 10 && outcomes.survived > FRAMES / 10, JSON.stringify(outcomes))

  // A well-behaved client is served exactly as before.
  assert.equal(broker.child.exitCode, null)
  const client = await RawClient.connect(broker.port)
  await client.request(19, 4, {
    topics: [{ name: 'after-fuzz', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 1000,
    validateOnly: false,
  })
  const produced = await client.request(0, 9, {
    transactionalId: null,
    acks: -1,
    timeoutMs: 1000,
    topicData: [
      {
        name: 'after-fuzz',
        partitionData: [
          { index: 0, records: encodeRecordBatch([{ key: 'still', value: 'serving', timestamp: 123 }]) },
        ],
      },
    ],
  })
  assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, 0)
  assert.equal(produced.responses[0]!.partitionResponses[0]!.baseOffset, 0n)
  const fetched = await client.request(1, 12, fetchRequest('after-fuzz', 0n, { maxWaitMs: 100 }))
  const records = decodeRecordBatch(fetched.responses[0]!.partitions[0]!.records!).records
  assert.deepEqual(
    records.map((r) => [r.offset, r.key?.toString(), r.value?.toString(), r.timestamp]),
    [[0n, 'still', 'serving', 123]],
  )
  client.close()
  assert.equal(await broker.stop(), 0, 'the broker stops cleanly after the fuzzing')
})
