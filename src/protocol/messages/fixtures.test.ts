// Byte-exact fixtures: each expected byte string was written by hand from the Kafka wire format (field
// order, int16/int32 vs compact lengths, tagged sections, defaults), not captured from our encoder, so
// these catch layout mistakes that a round trip through our own encoder and decoder cannot.

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { MessageCodec } from '../codec/api.ts'
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../codec/dispatch.ts'
import { Reader, ZERO_UUID } from '../codec/reader.ts'
import { Writer } from '../codec/writer.ts'
import { apiVersionsApi } from './api-versions.ts'
import {
  consumerProtocolAssignmentCodec,
  parseConsumerProtocolAssignment,
} from './consumer-protocol-assignment.ts'
import {
  consumerProtocolSubscriptionCodec,
  parseConsumerProtocolSubscription,
  serializeConsumerProtocolSubscription,
} from './consumer-protocol-subscription.ts'
import { type FetchResponse, fetchApi } from './fetch.ts'
import { findCoordinatorApi } from './find-coordinator.ts'
import { ApiKey } from './index.ts'
import { joinGroupApi } from './join-group.ts'
import { type MetadataResponse, metadataApi } from './metadata.ts'
import { produceApi } from './produce.ts'
import { saslAuthenticateApi } from './sasl-authenticate.ts'

/** Hex with whitespace and `#` comments allowed. */
function hex(s: string): Buffer {
  const clean = s.replace(/#[^\n]*/g, '').replace(/\s+/g, '')
  assert.match(clean, /^([0-9a-f]{2})*$/, 'fixture hex is malformed')
  return Buffer.from(clean, 'hex')
}

/** Hex of ASCII text, for readability of string payloads. */
const a = (s: string) => Buffer.from(s, 'latin1').toString('hex')

const TOPIC_ID = '6b1f9c2e-83d4-4a5b-9c0d-1e2f3a4b5c6d'
const TOPIC_ID_HEX = '6b1f9c2e83d44a5b9c0d1e2f3a4b5c6d'

interface Fixture {
  name: string
  run: () => void
}
const fixtures: Fixture[] = []

/** Registers: value encodes to exactly `bytes`, and `bytes` decodes to exactly `value`. */
function fixture<T>(codec: MessageCodec<T>, version: number, value: T, bytes: string, label = ''): void {
  fixtures.push({
    name: `${codec.name} v${version}${label ? ` (${label})` : ''}`,
    run: () => {
      const expected = hex(bytes)
      const w = new Writer()
      codec.encode(w, value, version)
      assert.equal(w.toBuffer().toString('hex'), expected.toString('hex'))
      const r = new Reader(expected)
      assert.deepEqual(codec.decode(r, version), value)
      assert.equal(r.remaining, 0, 'decoder left bytes unread')
    },
  })
}

// ----- ApiVersions (request bodies are empty before v3)

const noClientSoftware = { clientSoftwareName: '', clientSoftwareVersion: '' }
for (const v of [0, 1, 2]) fixture(apiVersionsApi.request, v, noClientSoftware, '')
fixture(
  apiVersionsApi.request,
  3,
  { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7.0' },
  `05 ${a('kcat')}      # compact string: length + 1 = 5
   06 ${a('1.7.0')}     # compact string
   00                   # no tagged fields`,
)

const apiVersionsV0 = {
  errorCode: 0,
  apiKeys: [
    { apiKey: 0, minVersion: 0, maxVersion: 9 },
    { apiKey: 18, minVersion: 0, maxVersion: 3 },
  ],
  throttleTimeMs: 0,
  supportedFeatures: [],
  finalizedFeaturesEpoch: -1n,
  finalizedFeatures: [],
  zkMigrationReady: false,
}
fixture(
  apiVersionsApi.response,
  0,
  apiVersionsV0,
  `0000                 # error code
   00000002             # int32 array length
   0000 0000 0009       # Produce 0..9
   0012 0000 0003       # ApiVersions 0..3`,
)
fixture(
  apiVersionsApi.response,
  1,
  { ...apiVersionsV0, throttleTimeMs: 100 },
  `0000 00000002 0000 0000 0009 0012 0000 0003
   00000064             # throttle time (v1+), after the array`,
)
fixture(
  apiVersionsApi.response,
  3,
  {
    errorCode: 0,
    apiKeys: [
      { apiKey: 0, minVersion: 0, maxVersion: 9 },
      { apiKey: 18, minVersion: 0, maxVersion: 4 },
    ],
    throttleTimeMs: 0,
    supportedFeatures: [{ name: 'kraft.version', minVersion: 0, maxVersion: 1 }],
    finalizedFeaturesEpoch: 5n,
    finalizedFeatures: [],
    zkMigrationReady: false,
  },
  `0000                 # error code
   03                   # compact array: 2 elements
   0000 0000 0009 00    # each element ends with its (empty) tagged fields
   0012 0000 0004 00
   00000000             # throttle time
   02                   # two tagged fields, ascending tags
   00 14                #   tag 0 (SupportedFeatures), 20 bytes
     02 0e ${a('kraft.version')} 0000 0001 00
   01 08                #   tag 1 (FinalizedFeaturesEpoch), 8 bytes
     0000000000000005`,
)

// ----- Metadata

const metadataTopicFoo = { topicId: ZERO_UUID, name: 'foo' }
fixture(
  metadataApi.request,
  0,
  {
    topics: [metadataTopicFoo],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  },
  `00000001 0003 ${a('foo')}`,
)
fixture(
  metadataApi.request,
  1,
  {
    topics: null,
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  },
  'ffffffff             # null array: all topics',
)
fixture(
  metadataApi.request,
  9,
  {
    topics: [metadataTopicFoo],
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  },
  `02 04 ${a('foo')} 00  # compact array, compact string, topic tagged fields
   01                   # allow auto topic creation
   00                   # include cluster authorized operations (v8-10)
   00                   # include topic authorized operations
   00`,
)
fixture(
  metadataApi.request,
  12,
  {
    topics: [{ topicId: TOPIC_ID, name: null }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: true,
  },
  `02 ${TOPIC_ID_HEX}   # topic id (v10+) comes before the name
   00 00                # null name (nullable from v10), tagged fields
   00                   # allow auto topic creation
   01                   # include topic authorized operations (no cluster flag after v10)
   00`,
)

const metadataPartition = {
  errorCode: 0,
  partitionIndex: 0,
  leaderId: 1,
  leaderEpoch: -1,
  replicaNodes: [1],
  isrNodes: [1],
  offlineReplicas: [],
}
const metadataResponseV0: MetadataResponse = {
  throttleTimeMs: 0,
  brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
  clusterId: null,
  controllerId: -1,
  topics: [
    {
      errorCode: 0,
      name: 'foo',
      topicId: ZERO_UUID,
      isInternal: false,
      partitions: [metadataPartition],
      topicAuthorizedOperations: -2147483648,
    },
  ],
  clusterAuthorizedOperations: -2147483648,
}
fixture(
  metadataApi.response,
  0,
  metadataResponseV0,
  `00000001 00000001 0009 ${a('localhost')} 00002384
   00000001             # topics
   0000 0003 ${a('foo')}
   00000001             # partitions
   0000 00000000 00000001
   00000001 00000001    # replicas [1]
   00000001 00000001    # isr [1]`,
)
fixture(
  metadataApi.response,
  1,
  {
    ...metadataResponseV0,
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: 'r1' }],
    controllerId: 1,
  },
  `00000001 00000001 0009 ${a('localhost')} 00002384
   0002 ${a('r1')}      # rack (v1+)
   00000001             # controller id (v1+)
   00000001 0000 0003 ${a('foo')}
   00                   # is internal (v1+)
   00000001 0000 00000000 00000001 00000001 00000001 00000001 00000001`,
)
fixture(
  metadataApi.response,
  9,
  {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
    clusterId: 'c1',
    controllerId: 1,
    topics: [
      {
        errorCode: 0,
        name: 'foo',
        topicId: ZERO_UUID,
        isInternal: false,
        partitions: [{ ...metadataPartition, leaderEpoch: 5 }],
        topicAuthorizedOperations: -2147483648,
      },
    ],
    clusterAuthorizedOperations: -2147483648,
  },
  `00000000             # throttle time (v3+)
   02 00000001 0a ${a('localhost')} 00002384 00 00  # broker: rack null, tagged fields
   03 ${a('c1')}        # cluster id
   00000001             # controller id
   02 0000 04 ${a('foo')} 00
   02 0000 00000000 00000001
   00000005             # leader epoch (v7+)
   02 00000001 02 00000001
   01                   # offline replicas: empty compact array
   00                   # partition tagged fields
   80000000 00          # topic authorized operations, topic tagged fields
   80000000             # cluster authorized operations (v8-10)
   00`,
)
fixture(
  metadataApi.response,
  12,
  {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 1, host: 'localhost', port: 9092, rack: null }],
    clusterId: null,
    controllerId: 1,
    topics: [
      {
        errorCode: 0,
        name: 'foo',
        topicId: TOPIC_ID,
        isInternal: true,
        partitions: [],
        topicAuthorizedOperations: 8,
      },
    ],
    clusterAuthorizedOperations: -2147483648,
  },
  `00000000 02 00000001 0a ${a('localhost')} 00002384 00 00
   00                   # null cluster id
   00000001
   02 0000 04 ${a('foo')}
   ${TOPIC_ID_HEX}      # topic id (v10+) after the name
   01                   # is internal
   01                   # no partitions
   00000008 00
   00                   # no cluster authorized operations after v10`,
)

// ----- Produce

const records = Buffer.from('0102030405', 'hex')
fixture(
  produceApi.request,
  3,
  {
    transactionalId: null,
    acks: -1,
    timeoutMs: 30000,
    topicData: [{ name: 'foo', partitionData: [{ index: 0, records }] }],
  },
  `ffff                 # null transactional id (v3+)
   ffff                 # acks -1
   00007530             # timeout 30000
   00000001 0003 ${a('foo')}
   00000001 00000000
   00000005 0102030405  # records: int32 length + raw bytes`,
)
fixture(
  produceApi.request,
  9,
  {
    transactionalId: 'tx',
    acks: 1,
    timeoutMs: 30000,
    topicData: [
      {
        name: 'foo',
        partitionData: [
          { index: 0, records },
          { index: 1, records: null },
        ],
      },
    ],
  },
  `03 ${a('tx')} 0001 00007530
   02 04 ${a('foo')}
   03                   # two partitions
   00000000 06 0102030405 00  # records: compact bytes
   00000001 00 00       # null records
   00 00`,
)
fixture(
  produceApi.response,
  10,
  {
    responses: [
      {
        name: 'foo',
        partitionResponses: [
          {
            index: 0,
            errorCode: 6,
            baseOffset: -1n,
            logAppendTimeMs: -1n,
            logStartOffset: -1n,
            recordErrors: [],
            errorMessage: null,
            currentLeader: { leaderId: 2, leaderEpoch: 7 },
          },
        ],
      },
    ],
    throttleTimeMs: 0,
    nodeEndpoints: [{ nodeId: 2, host: 'b2', port: 9092, rack: null }],
  },
  `02 04 ${a('foo')} 02
   00000000 0006
   ffffffffffffffff ffffffffffffffff ffffffffffffffff
   01                   # no record errors (v8+)
   00                   # null error message (v8+)
   01 00 09 00000002 00000007 00  # tagged: CurrentLeader (tag 0); a struct keeps its own tagged fields
   00                   # topic tagged fields
   00000000             # throttle time
   01 00 0e             # tagged: NodeEndpoints (tag 0), 14 bytes
     02 00000002 03 ${a('b2')} 00002384 00 00`,
)

// ----- Fetch

fixture(
  fetchApi.request,
  4,
  {
    clusterId: null,
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: 'foo',
        topicId: ZERO_UUID,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: -1,
            fetchOffset: 100n,
            lastFetchedEpoch: -1,
            logStartOffset: -1n,
            partitionMaxBytes: 1048576,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
    forgottenTopicsData: [],
    rackId: '',
  },
  `ffffffff 000001f4 00000001
   03200000             # max bytes (v3+)
   01                   # isolation level (v4+)
   00000001 0003 ${a('foo')}
   00000001 00000000 0000000000000064 00100000`,
)
fixture(
  fetchApi.request,
  12,
  {
    clusterId: 'abc',
    replicaId: -1,
    replicaState: { replicaId: -1, replicaEpoch: -1n },
    maxWaitMs: 500,
    minBytes: 1,
    maxBytes: 52428800,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [
      {
        topic: 'foo',
        topicId: ZERO_UUID,
        partitions: [
          {
            partition: 0,
            currentLeaderEpoch: 3,
            fetchOffset: 100n,
            lastFetchedEpoch: 2,
            logStartOffset: -1n,
            partitionMaxBytes: 1048576,
            replicaDirectoryId: ZERO_UUID,
          },
        ],
      },
    ],
    forgottenTopicsData: [{ topic: 'bar', topicId: ZERO_UUID, partitions: [1, 2] }],
    rackId: 'r1',
  },
  `ffffffff 000001f4 00000001 03200000 00
   00000000 ffffffff    # session id, session epoch (v7+)
   02 04 ${a('foo')} 02
   00000000 00000003 0000000000000064
   00000002             # last fetched epoch (v12+)
   ffffffffffffffff 00100000 00 00
   02 04 ${a('bar')} 03 00000001 00000002 00  # forgotten topics
   03 ${a('r1')}        # rack id (v11+)
   01 00 04 04 ${a('abc')}  # tagged: ClusterId (tag 0), 4 bytes`,
)

const fetchPartitionDefaults = {
  divergingEpoch: { epoch: -1, endOffset: -1n },
  currentLeader: { leaderId: -1, leaderEpoch: -1 },
  snapshotId: { endOffset: -1n, epoch: -1 },
}
fixture(
  fetchApi.response,
  4,
  {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 'foo',
        topicId: ZERO_UUID,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 10n,
            lastStableOffset: 10n,
            logStartOffset: -1n,
            ...fetchPartitionDefaults,
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: Buffer.from('aabbcc', 'hex'),
          },
        ],
      },
    ],
    nodeEndpoints: [],
  } satisfies FetchResponse,
  `00000000 00000001 0003 ${a('foo')} 00000001
   00000000 0000 000000000000000a
   000000000000000a     # last stable offset (v4+)
   ffffffff             # null aborted transactions (v4+)
   00000003 aabbcc`,
)
fixture(
  fetchApi.response,
  12,
  {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 7,
    responses: [
      {
        topic: 'foo',
        topicId: ZERO_UUID,
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 10n,
            lastStableOffset: 10n,
            logStartOffset: 0n,
            ...fetchPartitionDefaults,
            currentLeader: { leaderId: 1, leaderEpoch: 5 },
            abortedTransactions: [{ producerId: 9n, firstOffset: 3n }],
            preferredReadReplica: -1,
            records: Buffer.from('aabbcc', 'hex'),
          },
        ],
      },
    ],
    nodeEndpoints: [],
  },
  `00000000 0000 00000007
   02 04 ${a('foo')} 02
   00000000 0000 000000000000000a 000000000000000a 0000000000000000
   02 0000000000000009 0000000000000003 00  # aborted transactions
   ffffffff             # preferred read replica (v11+)
   04 aabbcc            # records
   01 01 09 00000001 00000005 00  # tagged: only CurrentLeader (tag 1) differs from its default
   00 00`,
)

// ----- JoinGroup

const protocols = [{ name: 'range', metadata: Buffer.from('010203', 'hex') }]
fixture(
  joinGroupApi.request,
  0,
  {
    groupId: 'g',
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: -1,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols,
    reason: null,
  },
  `0001 ${a('g')} 00002710 0000 0008 ${a('consumer')}
   00000001 0005 ${a('range')} 00000003 010203`,
)
fixture(
  joinGroupApi.request,
  5,
  {
    groupId: 'g',
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 60000,
    memberId: '',
    groupInstanceId: 'i1',
    protocolType: 'consumer',
    protocols,
    reason: null,
  },
  `0001 ${a('g')} 00002710
   0000ea60             # rebalance timeout (v1+)
   0000
   0002 ${a('i1')}      # group instance id (v5+)
   0008 ${a('consumer')} 00000001 0005 ${a('range')} 00000003 010203`,
)
fixture(
  joinGroupApi.response,
  5,
  {
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: 1,
    protocolType: null,
    protocolName: 'range',
    leader: 'm1',
    skipAssignment: false,
    memberId: 'm1',
    members: [{ memberId: 'm1', groupInstanceId: null, metadata: Buffer.from('010203', 'hex') }],
  },
  `00000000 0000 00000001 0005 ${a('range')} 0002 ${a('m1')} 0002 ${a('m1')}
   00000001 0002 ${a('m1')} ffff 00000003 010203`,
)

// ----- FindCoordinator: one key up to v3, batched keys from v4

const findCoordinatorV0 = { key: 'g', keyType: 0, coordinatorKeys: [] }
fixture(findCoordinatorApi.request, 0, findCoordinatorV0, `0001 ${a('g')}`)
fixture(findCoordinatorApi.request, 1, findCoordinatorV0, `0001 ${a('g')} 00`)
fixture(
  findCoordinatorApi.request,
  4,
  { key: '', keyType: 0, coordinatorKeys: ['g', 'h'] },
  `00 03 02 ${a('g')} 02 ${a('h')} 00`,
)
fixture(
  findCoordinatorApi.response,
  4,
  {
    throttleTimeMs: 0,
    errorCode: 0,
    errorMessage: '',
    nodeId: 0,
    host: '',
    port: 0,
    coordinators: [{ key: 'g', nodeId: 1, host: 'localhost', port: 9092, errorCode: 0, errorMessage: null }],
  },
  `00000000 02 02 ${a('g')} 00000001 0a ${a('localhost')} 00002384 0000 00 00 00`,
)

// ----- SASL

fixture(
  saslAuthenticateApi.request,
  2,
  { authBytes: Buffer.from('\0user\0pw', 'latin1') },
  `09 00${a('user')}00${a('pw')} 00`,
)
fixture(
  saslAuthenticateApi.response,
  2,
  { errorCode: 0, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n },
  '0000 00 01 0000000000000000 00',
)

// ----- Consumer protocol (embedded in JoinGroup / SyncGroup bytes)

fixture(
  consumerProtocolSubscriptionCodec,
  3,
  {
    topics: ['foo'],
    userData: null,
    ownedPartitions: [{ topic: 'foo', partitions: [0] }],
    generationId: 5,
    rackId: 'r1',
  },
  `00000001 0003 ${a('foo')} ffffffff
   00000001 0003 ${a('foo')} 00000001 00000000
   00000005 0002 ${a('r1')}`,
)
fixture(
  consumerProtocolAssignmentCodec,
  0,
  { assignedPartitions: [{ topic: 'foo', partitions: [0, 1] }], userData: null },
  `00000001 0003 ${a('foo')} 00000002 00000000 00000001 ffffffff`,
)

describe('byte-exact fixtures', () => {
  for (const f of fixtures) test(f.name, f.run)

  test('consumer protocol embedded form carries an int16 version', () => {
    const value = {
      topics: ['foo'],
      userData: null,
      ownedPartitions: [],
      generationId: -1,
      rackId: null,
    }
    const bytes = serializeConsumerProtocolSubscription(value, 0)
    assert.equal(bytes.toString('hex'), hex(`0000 00000001 0003 ${a('foo')} ffffffff`).toString('hex'))
    assert.deepEqual(parseConsumerProtocolSubscription(bytes), { version: 0, value })
  })

  test('newer consumer protocol versions are read with the newest known layout', () => {
    const sub = parseConsumerProtocolSubscription(
      hex(`0009                 # a version from the future
           00000001 0003 ${a('foo')}
           00000000             # empty (not null) user data
           00000001 0003 ${a('foo')} 00000000
           ffffffff ffff        # generation id -1, null rack id
           cafe                 # fields we do not know: ignored`),
    )
    assert.deepEqual(sub, {
      version: 9,
      value: {
        topics: ['foo'],
        userData: Buffer.alloc(0),
        ownedPartitions: [{ topic: 'foo', partitions: [] }],
        generationId: -1,
        rackId: null,
      },
    })
    const assignment = parseConsumerProtocolAssignment(hex('0004 00000000 ffffffff'))
    assert.deepEqual(assignment, { version: 4, value: { assignedPartitions: [], userData: null } })
  })
})

describe('tagged fields from newer peers', () => {
  test('unknown tags are skipped at top level and inside structs; known ones still decode', () => {
    const bytes = hex(`ffffffff 000001f4 00000001 03200000 00 00000000 ffffffff
      02 04 ${a('foo')} 02
      00000000 00000003 0000000000000064 00000002 ffffffffffffffff 00100000
      01 63 02 beef        # partition: unknown tag 99, 2 bytes
      00
      01 01                # no forgotten topics, empty rack id
      03                   # three top-level tags, one of them known
      05 01 ff             #   unknown tag 5
      00 04 04 ${a('abc')} #   ClusterId
      1f 00                #   unknown tag 31, empty`)
    const r = new Reader(bytes)
    const req = fetchApi.request.decode(r, 12)
    assert.equal(r.remaining, 0)
    assert.equal(req.clusterId, 'abc')
    assert.equal(req.topics[0]!.partitions[0]!.lastFetchedEpoch, 2)
    assert.equal(req.rackId, '')
  })
})

describe('whole frames with headers', () => {
  test('ApiVersions v0-v2 requests use header v1 and an empty body', () => {
    for (const v of [0, 1, 2]) {
      const frame = Buffer.concat(
        encodeRequest(ApiKey.ApiVersions, v, { correlationId: 1, clientId: 'kcat' }, noClientSoftware),
      )
      assert.equal(
        frame.toString('hex'),
        hex(`0000000e 0012 000${v} 00000001 0004 ${a('kcat')}`).toString('hex'),
      )
      const req = decodeRequest(frame.subarray(4))
      assert.equal(req.apiKey, ApiKey.ApiVersions)
      assert.deepEqual(req.header, {
        requestApiKey: 18,
        requestApiVersion: v,
        correlationId: 1,
        clientId: 'kcat',
      })
      assert.deepEqual(req.body, noClientSoftware)
    }
  })

  test('ApiVersions v3 request uses header v2: client id keeps its int16 length, then tagged fields', () => {
    const body = { clientSoftwareName: 'kcat', clientSoftwareVersion: '1.7.0' }
    const frame = Buffer.concat(
      encodeRequest(ApiKey.ApiVersions, 3, { correlationId: 1, clientId: 'kcat' }, body),
    )
    const expected = hex(`0000001b 0012 0003 00000001 0004 ${a('kcat')} 00
      05 ${a('kcat')} 06 ${a('1.7.0')} 00`)
    assert.equal(frame.toString('hex'), expected.toString('hex'))
    const req = decodeRequest(frame.subarray(4))
    assert.deepEqual(req.body, body)
  })

  test('ApiVersions v3 response keeps header v0 (no tagged fields after the correlation id)', () => {
    const body = { ...apiVersionsV0, apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 4 }] }
    const frame = Buffer.concat(encodeResponse(ApiKey.ApiVersions, 3, 7, body))
    const expected = hex(`00000013 00000007
      0000 02 0012 0000 0004 00 00000000 00`)
    assert.equal(frame.toString('hex'), expected.toString('hex'))
    assert.deepEqual(decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4)), { correlationId: 7, body })
  })

  test('Metadata v9 response uses header v1; v8 uses header v0', () => {
    const body: MetadataResponse = { ...metadataResponseV0, topics: [] }
    const v9 = Buffer.concat(encodeResponse(ApiKey.Metadata, 9, 7, body))
    assert.equal(v9.subarray(4, 9).toString('hex'), '0000000700')
    assert.equal(v9.readInt32BE(0), v9.length - 4)
    const v8 = Buffer.concat(encodeResponse(ApiKey.Metadata, 8, 7, body))
    assert.equal(v8.subarray(4, 12).toString('hex'), '0000000700000000')
    assert.deepEqual(decodeResponse(ApiKey.Metadata, 9, v9.subarray(4)).body, {
      ...body,
      clusterAuthorizedOperations: -2147483648,
    })
  })

  test('DescribeCluster v0 is flexible from its first version, so it uses request header v2', () => {
    const body = { includeClusterAuthorizedOperations: false, endpointType: 1 }
    const frame = Buffer.concat(
      encodeRequest(ApiKey.DescribeCluster, 0, { correlationId: 2, clientId: null }, body),
    )
    assert.equal(frame.toString('hex'), hex('0000000d 003c 0000 00000002 ffff 00 00 00').toString('hex'))
    assert.deepEqual(decodeRequest(frame.subarray(4)).body, body)
  })
})
