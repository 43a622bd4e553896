// Committed offsets through the coordinator, on a real LogStore: commit/fetch, durability across a
// reopen, OffsetDelete, DeleteGroups and topic deletion, each checked in memory, on disk and after
// replay.
import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { decodeAll } from '../../../test/helpers/batches.ts'
import { tempDir } from '../../../test/helpers/tmp.ts'
import { LogStore } from '../../log/store.ts'
import type { ApiCodec } from '../../protocol/codec/api.ts'
import { Reader } from '../../protocol/codec/reader.ts'
import { Writer } from '../../protocol/codec/writer.ts'
import { serializeConsumerProtocolSubscription } from '../../protocol/messages/consumer-protocol-subscription.ts'
import { deleteGroupsApi } from '../../protocol/messages/delete-groups.ts'
import { describeGroupsApi } from '../../protocol/messages/describe-groups.ts'
import type { JoinGroupRequest } from '../../protocol/messages/join-group.ts'
import { listGroupsApi } from '../../protocol/messages/list-groups.ts'
import { type OffsetCommitRequest, offsetCommitApi } from '../../protocol/messages/offset-commit.ts'
import { offsetDeleteApi } from '../../protocol/messages/offset-delete.ts'
import { type OffsetFetchRequest, offsetFetchApi } from '../../protocol/messages/offset-fetch.ts'
import { GroupCoordinator } from './coordinator.ts'
import { decodeKey, decodeOffsetValue } from './offset-records.ts'

const NOW = 1_700_000_000_000
const clock = { now: () => NOW }

function openStore(dir: string): LogStore {
  return LogStore.open(dir, { maintenanceIntervalMs: 0 })
}

interface Handle {
  dir: string
  store: LogStore
  coordinator: GroupCoordinator
}

/** A store with topics orders (3 partitions) and payments (1), and a coordinator on it. */
async function setup(t: TestContext): Promise<Handle> {
  const h = {} as Handle
  // Registered before tempDir's own hook so that everything is closed before the directory goes.
  t.after(async () => {
    await h.coordinator?.close()
    await h.store?.close()
  })
  h.dir = tempDir(t)
  h.store = openStore(h.dir)
  h.store.createTopic('orders', 3)
  h.store.createTopic('payments', 1)
  h.coordinator = await GroupCoordinator.open({ store: h.store, clock })
  return h
}

/** Closes coordinator and store and opens both again on the same directory. */
async function reopen(h: Handle): Promise<void> {
  await h.coordinator.close()
  await h.store.close()
  h.store = openStore(h.dir)
  h.coordinator = await GroupCoordinator.open({ store: h.store, clock })
}

/** Encodes and decodes a response as `version`: a complete response survives unchanged. */
function roundTrip<Res>(api: ApiCodec<unknown, Res>, res: Res, version: number): Res {
  const w = new Writer()
  api.response.encode(w, res, version)
  assert.deepEqual(api.response.decode(new Reader(w.toBuffer()), version), res)
  return res
}

type P = { p: number; offset: bigint; metadata?: string | null; epoch?: number; ts?: bigint }

function commit(
  groupId: string,
  topics: Record<string, P[]>,
  member: { generation: number; memberId: string; instance?: string | null } = {
    generation: -1,
    memberId: '',
  },
): OffsetCommitRequest {
  return {
    groupId,
    generationIdOrMemberEpoch: member.generation,
    memberId: member.memberId,
    groupInstanceId: member.instance ?? null,
    retentionTimeMs: -1n,
    topics: Object.entries(topics).map(([name, ps]) => ({
      name,
      partitions: ps.map((x) => ({
        partitionIndex: x.p,
        committedOffset: x.offset,
        committedLeaderEpoch: x.epoch ?? -1,
        commitTimestamp: x.ts ?? -1n,
        committedMetadata: x.metadata === undefined ? '' : x.metadata,
      })),
    })),
  }
}

function fetch(
  groupId: string,
  topics: Record<string, number[]> | null,
  requireStable = false,
): OffsetFetchRequest {
  const list =
    topics === null
      ? null
      : Object.entries(topics).map(([name, partitionIndexes]) => ({ name, partitionIndexes }))
  return {
    groupId,
    topics: list,
    groups: [{ groupId, memberId: null, memberEpoch: -1, topics: list }],
    requireStable,
  }
}

/** Every record of __consumer_offsets as decoded key and value (null for a tombstone). */
async function offsetsLog(store: LogStore): Promise<unknown[]> {
  const p = store.partition('__consumer_offsets', 0)!
  const { bytes } = await p.read(p.logStartOffset, 1 << 20)
  return decodeAll(bytes).map((r) => {
    const k = decodeKey(r.key!)
    return {
      key: k.kind === 'offset' ? k.key : k,
      value: r.value === null ? null : decodeOffsetValue(r.value),
    }
  })
}

const subscription = (...topics: string[]): Buffer =>
  serializeConsumerProtocolSubscription(
    { topics, userData: null, ownedPartitions: [], generationId: -1, rackId: null },
    1,
  )

function joinReq(
  groupId: string,
  memberId: string,
  protocolType = 'consumer',
  topics = ['orders'],
): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId,
    groupInstanceId: null,
    protocolType,
    protocols: [{ name: 'range', metadata: subscription(...topics) }],
    reason: null,
  }
}

/** One member joined and synced (JoinGroup v3, no member-id round trip): a Stable group. */
async function stableGroup(
  coordinator: GroupCoordinator,
  groupId: string,
  protocolType = 'consumer',
  topics = ['orders'],
): Promise<{ memberId: string; generation: number }> {
  const j = await coordinator.joinGroup(joinReq(groupId, '', protocolType, topics), 3, {
    clientId: 'c',
    clientHost: '/127.0.0.1',
  })
  assert.equal(j.errorCode, 0)
  const s = await coordinator.syncGroup(
    {
      groupId,
      generationId: j.generationId,
      memberId: j.memberId,
      groupInstanceId: null,
      protocolType: null,
      protocolName: null,
      assignments: [{ memberId: j.memberId, assignment: Buffer.from('a') }],
    },
    3,
  )
  assert.equal(s.errorCode, 0)
  return { memberId: j.memberId, generation: j.generationId }
}

test('commit and fetch round-trip offsets, leader epochs and metadata, per version', async (t) => {
  const { coordinator, store } = await setup(t)
  const committed = await coordinator.offsetCommit(
    commit('g', {
      orders: [
        { p: 0, offset: 42n, metadata: 'm0', epoch: 7 },
        { p: 1, offset: 5n, metadata: null },
        { p: 9, offset: 1n },
      ],
      nope: [{ p: 0, offset: 1n }],
      payments: [{ p: 0, offset: 3n, metadata: 'x'.repeat(4097) }],
    }),
    8,
  )
  assert.deepEqual(roundTrip(offsetCommitApi, committed, 8), {
    throttleTimeMs: 0,
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 1, errorCode: 0 },
          { partitionIndex: 9, errorCode: 3 }, // UNKNOWN_TOPIC_OR_PARTITION
        ],
      },
      { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: 3 }] },
      { name: 'payments', partitions: [{ partitionIndex: 0, errorCode: 12 }] }, // OFFSET_METADATA_TOO_LARGE
    ],
  })

  const v7 = await coordinator.offsetFetch(fetch('g', { orders: [0, 1, 2], payments: [0] }), 7)
  assert.deepEqual(roundTrip(offsetFetchApi, v7, 7), {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [],
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 7, metadata: 'm0', errorCode: 0 },
          // A null commit metadata reads back as '', as in Kafka.
          { partitionIndex: 1, committedOffset: 5n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
      {
        name: 'payments',
        partitions: [
          { partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
    ],
  })

  // v1 has no leader epoch in the response.
  const v1 = await coordinator.offsetFetch(fetch('g', { orders: [0] }), 1)
  assert.deepEqual(roundTrip(offsetFetchApi, v1, 1), {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [],
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, metadata: 'm0', errorCode: 0 },
        ],
      },
    ],
  })

  // v8: several groups at once; null topics = everything the group committed.
  const v8 = await coordinator.offsetFetch(
    {
      groupId: '',
      topics: null,
      requireStable: true,
      groups: [
        { groupId: 'g', memberId: null, memberEpoch: -1, topics: null },
        {
          groupId: 'other',
          memberId: null,
          memberEpoch: -1,
          topics: [{ name: 'orders', partitionIndexes: [0] }],
        },
      ],
    },
    8,
  )
  assert.deepEqual(roundTrip(offsetFetchApi, v8, 8), {
    throttleTimeMs: 0,
    errorCode: 0,
    topics: [],
    groups: [
      {
        groupId: 'g',
        errorCode: 0,
        topics: [
          {
            name: 'orders',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: 42n,
                committedLeaderEpoch: 7,
                metadata: 'm0',
                errorCode: 0,
              },
              {
                partitionIndex: 1,
                committedOffset: 5n,
                committedLeaderEpoch: -1,
                metadata: '',
                errorCode: 0,
              },
            ],
          },
        ],
      },
      {
        groupId: 'other',
        errorCode: 0,
        topics: [
          {
            name: 'orders',
            partitions: [
              {
                partitionIndex: 0,
                committedOffset: -1n,
                committedLeaderEpoch: -1,
                metadata: '',
                errorCode: 0,
              },
            ],
          },
        ],
      },
    ],
  })

  // Durable before the response: the records are in the log, in Kafka's format.
  assert.deepEqual(await offsetsLog(store), [
    {
      key: { group: 'g', topic: 'orders', partition: 0 },
      value: { offset: 42n, leaderEpoch: 7, metadata: 'm0', commitTimestamp: NOW },
    },
    {
      key: { group: 'g', topic: 'orders', partition: 1 },
      value: { offset: 5n, leaderEpoch: -1, metadata: '', commitTimestamp: NOW },
    },
  ])
  assert.deepEqual(store.topic('__consumer_offsets')!.meta.partitions, 1)
  assert.deepEqual(store.topic('__consumer_offsets')!.meta.configs, { 'cleanup.policy': 'compact' })

  // v1 lets the client choose the commit timestamp.
  await coordinator.offsetCommit(commit('g', { payments: [{ p: 0, offset: 9n, ts: 1234n }] }), 1)
  assert.deepEqual((await offsetsLog(store))[2], {
    key: { group: 'g', topic: 'payments', partition: 0 },
    value: { offset: 9n, leaderEpoch: -1, metadata: '', commitTimestamp: 1234 },
  })
})

test('offsets survive closing and reopening the store; offset-only groups come back Empty', async (t) => {
  const h = await setup(t)
  await h.coordinator.offsetCommit(
    commit('g1', { orders: [{ p: 2, offset: 100n, metadata: 'meta', epoch: 3 }] }),
    8,
  )
  await h.coordinator.offsetCommit(
    commit('g1', { orders: [{ p: 2, offset: 101n, metadata: 'later', epoch: 4 }] }),
    8,
  )
  await h.coordinator.offsetCommit(commit('g2', { payments: [{ p: 0, offset: 7n }] }), 2)
  await reopen(h)

  const fetched = await h.coordinator.offsetFetch(fetch('g1', null), 6)
  assert.deepEqual(fetched, {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [],
    topics: [
      {
        name: 'orders',
        partitions: [
          {
            partitionIndex: 2,
            committedOffset: 101n,
            committedLeaderEpoch: 4,
            metadata: 'later',
            errorCode: 0,
          },
        ],
      },
    ],
  })
  assert.deepEqual((await h.coordinator.offsetFetch(fetch('g2', { payments: [0] }), 3)).topics, [
    {
      name: 'payments',
      partitions: [
        { partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ],
    },
  ])

  const listed = await h.coordinator.listGroups({ statesFilter: [], typesFilter: [] }, 4)
  assert.deepEqual(roundTrip(listGroupsApi, listed, 4), {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [
      { groupId: 'g1', protocolType: '', groupState: 'Empty', groupType: '' },
      { groupId: 'g2', protocolType: '', groupState: 'Empty', groupType: '' },
    ],
  })
  const described = await h.coordinator.describeGroups(
    { groups: ['g1'], includeAuthorizedOperations: false },
    5,
  )
  assert.deepEqual(roundTrip(describeGroupsApi, described, 5), {
    throttleTimeMs: 0,
    groups: [
      {
        errorCode: 0,
        groupId: 'g1',
        groupState: 'Empty',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: -2147483648,
      },
    ],
  })
})

test('members commit with their generation; commits land only once durable', async (t) => {
  const { coordinator } = await setup(t)
  const m = await stableGroup(coordinator, 'g')
  const ok = await coordinator.offsetCommit(
    commit('g', { orders: [{ p: 0, offset: 11n }] }, { generation: m.generation, memberId: m.memberId }),
    7,
  )
  assert.deepEqual(ok.topics, [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }])

  // A simple (generation -1) commit is refused while the group has members.
  const simple = await coordinator.offsetCommit(commit('g', { orders: [{ p: 0, offset: 99n }] }), 7)
  assert.deepEqual(simple.topics[0]!.partitions, [{ partitionIndex: 0, errorCode: 25 }]) // UNKNOWN_MEMBER_ID
  const stale = await coordinator.offsetCommit(
    commit('g', { orders: [{ p: 0, offset: 99n }] }, { generation: m.generation + 1, memberId: m.memberId }),
    7,
  )
  assert.deepEqual(stale.topics[0]!.partitions, [{ partitionIndex: 0, errorCode: 22 }]) // ILLEGAL_GENERATION
  // A generation for a group that does not exist: a commit from a gone generation.
  const gone = await coordinator.offsetCommit(
    commit('nobody', { orders: [{ p: 0, offset: 1n }] }, { generation: 3, memberId: 'x' }),
    7,
  )
  assert.deepEqual(gone.topics[0]!.partitions, [{ partitionIndex: 0, errorCode: 22 }])

  // While the append is in flight, a stable fetch reports UNSTABLE_OFFSET_COMMIT and a plain one the
  // previous offset; afterwards both see the new one.
  const pending = coordinator.offsetCommit(
    commit('g', { orders: [{ p: 0, offset: 12n }] }, { generation: m.generation, memberId: m.memberId }),
    7,
  )
  const during = await coordinator.offsetFetch(fetch('g', { orders: [0] }, true), 7)
  assert.deepEqual(during.topics[0]!.partitions, [
    { partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 88 },
  ])
  const plain = await coordinator.offsetFetch(fetch('g', { orders: [0] }), 7)
  assert.equal(plain.topics[0]!.partitions[0]!.committedOffset, 11n)
  await pending
  const after = await coordinator.offsetFetch(fetch('g', { orders: [0] }, true), 7)
  assert.deepEqual(after.topics[0]!.partitions, [
    { partitionIndex: 0, committedOffset: 12n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
  ])
})

test('OffsetDelete: allowed for empty groups and unsubscribed topics, persisted as tombstones', async (t) => {
  const h = await setup(t)
  await h.coordinator.offsetCommit(
    commit('g', {
      orders: [
        { p: 0, offset: 1n },
        { p: 1, offset: 2n },
      ],
      payments: [{ p: 0, offset: 3n }],
    }),
    8,
  )
  const deleted = await h.coordinator.offsetDelete(
    {
      groupId: 'g',
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0 }, { partitionIndex: 2 }, { partitionIndex: 7 }] },
      ],
    },
    0,
  )
  assert.deepEqual(roundTrip(offsetDeleteApi, deleted, 0), {
    errorCode: 0,
    throttleTimeMs: 0,
    topics: [
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, errorCode: 0 },
          { partitionIndex: 2, errorCode: 0 }, // never committed: nothing to delete, still fine
          { partitionIndex: 7, errorCode: 3 },
        ],
      },
    ],
  })
  assert.deepEqual((await h.coordinator.offsetFetch(fetch('g', null), 7)).topics, [
    {
      name: 'orders',
      partitions: [
        { partitionIndex: 1, committedOffset: 2n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ],
    },
    {
      name: 'payments',
      partitions: [
        { partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ],
    },
  ])
  // One tombstone, for the one offset that existed.
  assert.deepEqual((await offsetsLog(h.store)).slice(3), [
    { key: { group: 'g', topic: 'orders', partition: 0 }, value: null },
  ])

  await reopen(h)
  assert.deepEqual(
    (await h.coordinator.offsetFetch(fetch('g', { orders: [0, 1] }), 7)).topics[0]!.partitions.map(
      (p) => p.committedOffset,
    ),
    [-1n, 2n],
  )

  assert.deepEqual(await h.coordinator.offsetDelete({ groupId: 'unknown', topics: [] }, 0), {
    errorCode: 69, // GROUP_ID_NOT_FOUND
    throttleTimeMs: 0,
    topics: [],
  })

  // An active consumer group keeps the offsets of topics it subscribes to.
  const m = await stableGroup(h.coordinator, 'active', 'consumer', ['orders'])
  await h.coordinator.offsetCommit(
    commit(
      'active',
      { orders: [{ p: 0, offset: 5n }], payments: [{ p: 0, offset: 6n }] },
      { generation: m.generation, memberId: m.memberId },
    ),
    8,
  )
  const partial = await h.coordinator.offsetDelete(
    {
      groupId: 'active',
      topics: [
        { name: 'orders', partitions: [{ partitionIndex: 0 }] },
        { name: 'payments', partitions: [{ partitionIndex: 0 }] },
      ],
    },
    0,
  )
  assert.deepEqual(partial.topics, [
    { name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 86 }] }, // GROUP_SUBSCRIBED_TO_TOPIC
    { name: 'payments', partitions: [{ partitionIndex: 0, errorCode: 0 }] },
  ])
  assert.deepEqual(
    (await h.coordinator.offsetFetch(fetch('active', null), 7)).topics.map((t) => t.name),
    ['orders'],
  )

  // A non-consumer group with members refuses outright.
  await stableGroup(h.coordinator, 'connect', 'connect')
  assert.deepEqual(
    await h.coordinator.offsetDelete({ groupId: 'connect', topics: [{ name: 'orders', partitions: [] }] }, 0),
    { errorCode: 68, throttleTimeMs: 0, topics: [] }, // NON_EMPTY_GROUP
  )
})

test('DeleteGroups: only empty groups; their offsets are tombstoned and stay gone after a restart', async (t) => {
  const h = await setup(t)
  await h.coordinator.offsetCommit(
    commit('doomed', {
      orders: [
        { p: 0, offset: 1n },
        { p: 1, offset: 2n },
      ],
    }),
    8,
  )
  await h.coordinator.offsetCommit(commit('kept', { orders: [{ p: 0, offset: 3n }] }), 8)
  await stableGroup(h.coordinator, 'busy')

  const res = await h.coordinator.deleteGroups({ groupsNames: ['doomed', 'busy', 'ghost', 'doomed'] }, 2)
  assert.deepEqual(roundTrip(deleteGroupsApi, res, 2), {
    throttleTimeMs: 0,
    results: [
      { groupId: 'doomed', errorCode: 0 },
      { groupId: 'busy', errorCode: 68 }, // NON_EMPTY_GROUP
      { groupId: 'ghost', errorCode: 69 }, // GROUP_ID_NOT_FOUND
    ],
  })
  assert.deepEqual((await offsetsLog(h.store)).slice(3), [
    { key: { group: 'doomed', topic: 'orders', partition: 0 }, value: null },
    { key: { group: 'doomed', topic: 'orders', partition: 1 }, value: null },
  ])
  const groupsNow = async () =>
    (await h.coordinator.listGroups({ statesFilter: [], typesFilter: [] }, 3)).groups
      .map((g) => g.groupId)
      .sort()
  assert.deepEqual(await groupsNow(), ['busy', 'kept'])
  assert.deepEqual((await h.coordinator.offsetFetch(fetch('doomed', null), 7)).topics, [])
  assert.deepEqual((await h.coordinator.deleteGroups({ groupsNames: ['doomed'] }, 0)).results, [
    { groupId: 'doomed', errorCode: 69 },
  ])

  await reopen(h)
  assert.deepEqual(await groupsNow(), ['kept'])
  assert.deepEqual((await h.coordinator.offsetFetch(fetch('doomed', null), 7)).topics, [])
  assert.equal(
    (await h.coordinator.offsetFetch(fetch('kept', { orders: [0] }), 7)).topics[0]!.partitions[0]!
      .committedOffset,
    3n,
  )
})

test('a deleted topic loses its committed offsets in every group', async (t) => {
  const h = await setup(t)
  await h.coordinator.offsetCommit(
    commit('a', { orders: [{ p: 0, offset: 1n }], payments: [{ p: 0, offset: 2n }] }),
    8,
  )
  await h.coordinator.offsetCommit(commit('b', { orders: [{ p: 2, offset: 3n }] }), 8)
  await h.store.deleteTopic('orders')
  await h.coordinator.onTopicDeleted('orders')
  const all = async (g: string) =>
    (await h.coordinator.offsetFetch(fetch(g, null), 7)).topics.map((t) => t.name)
  assert.deepEqual(await all('a'), ['payments'])
  assert.deepEqual(await all('b'), [])
  await reopen(h)
  assert.deepEqual(await all('a'), ['payments'])
  assert.deepEqual(await all('b'), [])
})

test('replay after compaction keeps only the latest offset per key', async (t) => {
  const h = {} as Handle
  t.after(async () => {
    await h.coordinator?.close()
    await h.store?.close()
  })
  h.dir = tempDir(t)
  h.store = openStore(h.dir)
  // A tiny segment size so that compaction has closed segments to clean.
  h.store.createTopic('__consumer_offsets', 1, { 'cleanup.policy': 'compact', 'segment.bytes': '200' })
  h.store.createTopic('orders', 1)
  h.coordinator = await GroupCoordinator.open({ store: h.store, clock })
  const c = h.coordinator
  for (let i = 1; i <= 10; i++)
    await c.offsetCommit(commit('g', { orders: [{ p: 0, offset: BigInt(i) }] }), 8)
  await c.offsetDelete({ groupId: 'g', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] }, 0)
  await c.offsetCommit(commit('g', { orders: [{ p: 0, offset: 77n }] }), 8)
  await c.offsetCommit(commit('g', { orders: [{ p: 0, offset: 78n }] }), 8)
  const stats = await h.store.runMaintenance(NOW + 2 * 86_400_000)
  assert.ok(stats.recordsCompacted >= 10, `compacted ${stats.recordsCompacted}`)
  await reopen(h)
  assert.deepEqual((await h.coordinator.offsetFetch(fetch('g', null), 7)).topics, [
    {
      name: 'orders',
      partitions: [
        { partitionIndex: 0, committedOffset: 78n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
      ],
    },
  ])
})
