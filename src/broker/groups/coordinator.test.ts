// The classic rebalance protocol, driven request by request as clients drive it: joins, syncs,
// heartbeats, leaves, session and rebalance timeouts (short real timers), static membership, and
// the error codes clients react to. Every response is also checked to survive its wire codec.
import assert from 'node:assert/strict'
import { type TestContext, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { tempDir } from '../../../test/helpers/tmp.ts'
import { LogStore } from '../../log/store.ts'
import type { ApiCodec } from '../../protocol/codec/api.ts'
import { Reader } from '../../protocol/codec/reader.ts'
import { Writer } from '../../protocol/codec/writer.ts'
import { serializeConsumerProtocolAssignment } from '../../protocol/messages/consumer-protocol-assignment.ts'
import { serializeConsumerProtocolSubscription } from '../../protocol/messages/consumer-protocol-subscription.ts'
import { describeGroupsApi } from '../../protocol/messages/describe-groups.ts'
import { type HeartbeatResponse, heartbeatApi } from '../../protocol/messages/heartbeat.ts'
import {
  type JoinGroupRequest,
  type JoinGroupResponse,
  joinGroupApi,
} from '../../protocol/messages/join-group.ts'
import { leaveGroupApi } from '../../protocol/messages/leave-group.ts'
import { listGroupsApi } from '../../protocol/messages/list-groups.ts'
import { type SyncGroupResponse, syncGroupApi } from '../../protocol/messages/sync-group.ts'
import { GroupCoordinator, type GroupCoordinatorOptions } from './coordinator.ts'

const CTX = { clientId: 'client', clientHost: '/127.0.0.1' }

async function setup(
  t: TestContext,
  options: Partial<GroupCoordinatorOptions> = {},
): Promise<GroupCoordinator> {
  const h: { store?: LogStore; coordinator?: GroupCoordinator } = {}
  // Registered before tempDir's hook: close everything (and every timer) before the directory goes.
  t.after(async () => {
    await h.coordinator?.close()
    await h.store?.close()
  })
  h.store = LogStore.open(tempDir(t), { maintenanceIntervalMs: 0 })
  h.store.createTopic('orders', 4)
  h.coordinator = await GroupCoordinator.open({ store: h.store, ...options })
  return h.coordinator
}

function roundTrip<Res>(api: ApiCodec<unknown, Res>, res: Res, version: number): Res {
  const w = new Writer()
  api.response.encode(w, res, version)
  assert.deepEqual(api.response.decode(new Reader(w.toBuffer()), version), res)
  return res
}

const subscription = (
  topics: string[],
  ownedPartitions: { topic: string; partitions: number[] }[] = [],
): Buffer =>
  serializeConsumerProtocolSubscription(
    { topics, userData: null, ownedPartitions, generationId: -1, rackId: null },
    1,
  )

const assignment = (...partitions: number[]): Buffer =>
  serializeConsumerProtocolAssignment(
    { assignedPartitions: [{ topic: 'orders', partitions }], userData: null },
    0,
  )

const SUB = subscription(['orders'])

function joinReq(over: Partial<JoinGroupRequest> = {}): JoinGroupRequest {
  return {
    groupId: 'g',
    sessionTimeoutMs: 30_000,
    rebalanceTimeoutMs: 30_000,
    memberId: '',
    groupInstanceId: null,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: SUB }],
    reason: null,
    ...over,
  }
}

async function join(
  c: GroupCoordinator,
  over: Partial<JoinGroupRequest> = {},
  version = 9,
  clientId = CTX.clientId,
): Promise<JoinGroupResponse> {
  return roundTrip(joinGroupApi, await c.joinGroup(joinReq(over), version, { ...CTX, clientId }), version)
}

/** The v4+ first step: an unknown member is handed an id and told to come back with it. */
async function memberId(
  c: GroupCoordinator,
  clientId: string,
  over: Partial<JoinGroupRequest> = {},
): Promise<string> {
  const r = await join(c, over, 9, clientId)
  assert.equal(r.errorCode, 79) // MEMBER_ID_REQUIRED
  return r.memberId
}

async function sync(
  c: GroupCoordinator,
  generationId: number,
  memberId: string,
  assignments: { memberId: string; assignment: Buffer }[] = [],
  over: { groupInstanceId?: string | null; protocolType?: string | null; protocolName?: string | null } = {},
  version = 5,
): Promise<SyncGroupResponse> {
  const res = await c.syncGroup(
    {
      groupId: 'g',
      generationId,
      memberId,
      groupInstanceId: over.groupInstanceId ?? null,
      protocolType: over.protocolType === undefined ? 'consumer' : over.protocolType,
      protocolName: over.protocolName === undefined ? 'range' : over.protocolName,
      assignments,
    },
    version,
  )
  return roundTrip(syncGroupApi, res, version)
}

async function heartbeat(
  c: GroupCoordinator,
  generationId: number,
  memberId: string,
  groupInstanceId: string | null = null,
): Promise<number> {
  const res: HeartbeatResponse = await c.heartbeat(
    { groupId: 'g', generationId, memberId, groupInstanceId },
    4,
  )
  return roundTrip(heartbeatApi, res, 4).errorCode
}

async function describe(c: GroupCoordinator, version = 5) {
  const res = await c.describeGroups({ groups: ['g'], includeAuthorizedOperations: version >= 3 }, version)
  return roundTrip(describeGroupsApi, res, version).groups[0]!
}

/** Members a and b joined through MEMBER_ID_REQUIRED and synced: generation 1, Stable. */
async function stablePair(c: GroupCoordinator, over: Partial<JoinGroupRequest> = {}) {
  const a = await memberId(c, 'a', over)
  const b = await memberId(c, 'b', over)
  const [ja, jb] = await Promise.all([join(c, { ...over, memberId: a }), join(c, { ...over, memberId: b })])
  assert.equal(ja.generationId, 1)
  assert.equal(jb.generationId, 1)
  const pb = sync(c, 1, b)
  const sa = await sync(c, 1, a, [
    { memberId: a, assignment: assignment(0, 1) },
    { memberId: b, assignment: assignment(2, 3) },
  ])
  assert.equal(sa.errorCode, 0)
  assert.equal((await pb).errorCode, 0)
  return { a, b }
}

test('two members join as one generation; the leader gets both subscriptions; sync hands out assignments', async (t) => {
  const c = await setup(t)
  const subA = subscription(['orders'])
  const subB = subscription(['orders', 'payments'])
  const a = await memberId(c, 'a', { protocols: [{ name: 'range', metadata: subA }] })
  const b = await memberId(c, 'b', { protocols: [{ name: 'range', metadata: subB }] })
  const [ja, jb] = await Promise.all([
    join(c, { memberId: a, protocols: [{ name: 'range', metadata: subA }] }, 9, 'a'),
    join(c, { memberId: b, protocols: [{ name: 'range', metadata: subB }] }, 9, 'b'),
  ])
  assert.deepEqual(ja, {
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: 1,
    protocolType: 'consumer',
    protocolName: 'range',
    leader: a,
    skipAssignment: false,
    memberId: a,
    members: [
      { memberId: a, groupInstanceId: null, metadata: subA },
      { memberId: b, groupInstanceId: null, metadata: subB },
    ],
  })
  assert.deepEqual(jb, { ...ja, memberId: b, members: [] })

  // The follower's SyncGroup waits for the leader's.
  const followerSync = sync(c, 1, b)
  const describedMidway = await describe(c)
  assert.equal(describedMidway.groupState, 'CompletingRebalance')
  const leaderSync = await sync(c, 1, a, [
    { memberId: a, assignment: assignment(0, 1) },
    { memberId: b, assignment: assignment(2, 3) },
  ])
  const expectedSync = { throttleTimeMs: 0, errorCode: 0, protocolType: 'consumer', protocolName: 'range' }
  assert.deepEqual(leaderSync, { ...expectedSync, assignment: assignment(0, 1) })
  assert.deepEqual(await followerSync, { ...expectedSync, assignment: assignment(2, 3) })

  assert.deepEqual(await describe(c), {
    errorCode: 0,
    groupId: 'g',
    groupState: 'Stable',
    protocolType: 'consumer',
    protocolData: 'range',
    members: [
      {
        memberId: a,
        groupInstanceId: null,
        clientId: 'a',
        clientHost: '/127.0.0.1',
        memberMetadata: subA,
        memberAssignment: assignment(0, 1),
      },
      {
        memberId: b,
        groupInstanceId: null,
        clientId: 'b',
        clientHost: '/127.0.0.1',
        memberMetadata: subB,
        memberAssignment: assignment(2, 3),
      },
    ],
    authorizedOperations: (1 << 3) | (1 << 6) | (1 << 8),
  })
  const listed = await c.listGroups({ statesFilter: ['stable'], typesFilter: [] }, 4)
  assert.deepEqual(roundTrip(listGroupsApi, listed, 4), {
    throttleTimeMs: 0,
    errorCode: 0,
    groups: [{ groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: '' }],
  })
  assert.deepEqual((await c.listGroups({ statesFilter: ['Empty'], typesFilter: [] }, 4)).groups, [])
  assert.deepEqual((await c.listGroups({ statesFilter: [], typesFilter: ['consumer'] }, 5)).groups, [])
  assert.deepEqual((await c.listGroups({ statesFilter: [], typesFilter: ['Classic'] }, 5)).groups, [
    { groupId: 'g', protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' },
  ])
  assert.equal(await heartbeat(c, 1, a), 0)
  assert.equal(await heartbeat(c, 1, b), 0)
})

test('MEMBER_ID_REQUIRED: v4+ hands out an id to rejoin with; v3 joins at once', async (t) => {
  const c = await setup(t)
  const first = await join(c, {}, 4, 'app')
  assert.match(first.memberId, /^app-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  assert.deepEqual(first, {
    throttleTimeMs: 0,
    errorCode: 79,
    generationId: -1,
    protocolType: null,
    protocolName: '', // non-nullable before v7
    leader: '',
    skipAssignment: false,
    memberId: first.memberId,
    members: [],
  })
  // Not a member yet: the group is still Empty and the id is only pending.
  assert.equal((await describe(c)).groupState, 'Empty')
  assert.equal(await heartbeat(c, -1, first.memberId), 25)
  // An id the coordinator never handed out is refused.
  assert.equal((await join(c, { memberId: 'made-up' }, 4)).errorCode, 25) // UNKNOWN_MEMBER_ID

  const joined = await join(c, { memberId: first.memberId }, 4, 'app')
  assert.deepEqual(joined, {
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: 1,
    protocolType: null,
    protocolName: 'range',
    leader: first.memberId,
    skipAssignment: false,
    memberId: first.memberId,
    members: [{ memberId: first.memberId, groupInstanceId: null, metadata: SUB }],
  })

  // Before v4 there is no round trip: the member gets its id with the join itself.
  const c2 = await setup(t)
  const old = await join(c2, {}, 3, 'legacy')
  assert.equal(old.errorCode, 0)
  assert.equal(old.generationId, 1)
  assert.match(old.memberId, /^legacy-/)
  assert.equal(old.leader, old.memberId)
})

test('an id handed out with MEMBER_ID_REQUIRED expires after the session timeout if unused', async (t) => {
  const c = await setup(t, { minSessionTimeoutMs: 10 })
  const { a, b } = await stablePair(c)
  const pending = await memberId(c, 'late', { sessionTimeoutMs: 80 })
  // The leader's rejoin starts a rebalance; once b is back too, only the pending id, which never
  // comes back, holds the join phase, until its session timeout.
  const joinA = join(c, { memberId: a })
  const joinB = join(c, { memberId: b })
  const started = Date.now()
  const [ja] = await Promise.all([joinA, joinB])
  assert.ok(Date.now() - started >= 60, 'the join phase waited for the pending id')
  assert.equal(ja.generationId, 2)
  assert.deepEqual(
    ja.members.map((m) => m.memberId),
    [a, b],
  )
  assert.equal((await join(c, { memberId: pending })).errorCode, 25)

  // A group that never formed is forgotten once its only pending id expires.
  await memberId(c, 'x', { groupId: 'lonely', sessionTimeoutMs: 30 })
  const names = async () =>
    (await c.listGroups({ statesFilter: [], typesFilter: [] }, 3)).groups.map((g) => g.groupId)
  assert.deepEqual(await names(), ['g', 'lonely'])
  await sleep(100)
  assert.deepEqual(await names(), ['g'])
})

test('a third member triggers a rebalance seen through heartbeats; the generation increments', async (t) => {
  const c = await setup(t)
  const { a, b } = await stablePair(c)
  const cId = await memberId(c, 'c')
  // A pending id alone changes nothing.
  assert.equal(await heartbeat(c, 1, a), 0)

  const joinC = join(c, { memberId: cId })
  assert.equal((await describe(c)).groupState, 'PreparingRebalance')
  assert.equal(await heartbeat(c, 1, a), 27) // REBALANCE_IN_PROGRESS
  assert.equal(await heartbeat(c, 1, b), 27)
  assert.equal((await sync(c, 1, b)).errorCode, 27)
  // Members and their metadata are not shown mid-rebalance.
  const mid = await describe(c)
  assert.deepEqual(
    mid.members.map((m) => [m.memberId, m.memberMetadata.length, m.memberAssignment.length]),
    [
      [a, 0, 0],
      [b, 0, 0],
      [cId, 0, 0],
    ],
  )
  assert.equal(mid.protocolData, '')

  const [ja, jb, jc] = await Promise.all([join(c, { memberId: a }), join(c, { memberId: b }), joinC])
  for (const j of [ja, jb, jc]) {
    assert.equal(j.errorCode, 0)
    assert.equal(j.generationId, 2)
    assert.equal(j.leader, a)
  }
  assert.deepEqual(
    ja.members.map((m) => m.memberId),
    [a, b, cId],
  )
  assert.deepEqual(jb.members, [])
  assert.deepEqual(jc.members, [])
  assert.equal(await heartbeat(c, 1, a), 22) // ILLEGAL_GENERATION
  assert.equal(await heartbeat(c, 2, a), 0) // heartbeats between join and sync are fine
  assert.equal((await sync(c, 1, a)).errorCode, 22)

  const syncs = Promise.all([sync(c, 2, b), sync(c, 2, cId)])
  await sync(c, 2, a, [
    { memberId: a, assignment: assignment(0) },
    { memberId: b, assignment: assignment(1) },
    // c is left out: it gets an empty assignment.
  ])
  const [sb, sc] = await syncs
  assert.deepEqual(sb.assignment, assignment(1))
  assert.deepEqual(sc.assignment, Buffer.alloc(0))
  assert.equal((await describe(c)).groupState, 'Stable')
})

test('a member whose session expires is removed and the others rebalance without it', async (t) => {
  const c = await setup(t, { minSessionTimeoutMs: 10 })
  const a = await memberId(c, 'a')
  const b = await memberId(c, 'b')
  await Promise.all([join(c, { memberId: a }), join(c, { memberId: b, sessionTimeoutMs: 100 })])
  const pb = sync(c, 1, b)
  await sync(c, 1, a, [{ memberId: a, assignment: assignment(0, 1, 2, 3) }])
  await pb

  await sleep(250) // b never heartbeats
  assert.equal(await heartbeat(c, 1, a), 27)
  assert.equal(await heartbeat(c, 1, b), 25) // UNKNOWN_MEMBER_ID: b is gone
  const described = await describe(c)
  assert.equal(described.groupState, 'PreparingRebalance')
  assert.deepEqual(
    described.members.map((m) => m.memberId),
    [a],
  )
  const again = await join(c, { memberId: a })
  assert.equal(again.generationId, 2)
  assert.deepEqual(
    again.members.map((m) => m.memberId),
    [a],
  )
})

test('members that do not rejoin within the rebalance timeout are dropped from the generation', async (t) => {
  const c = await setup(t)
  const fast = { rebalanceTimeoutMs: 150 }
  const { a, b } = await stablePair(c, fast)
  const cId = await memberId(c, 'c', fast)
  const joinC = join(c, { ...fast, memberId: cId })
  const joinA = join(c, { ...fast, memberId: a })
  // b stays silent (its 30 s session is far from over): the join phase ends at the timeout.
  const [ja, jc] = await Promise.all([joinA, joinC])
  assert.equal(ja.generationId, 2)
  assert.equal(jc.generationId, 2)
  assert.deepEqual(
    ja.members.map((m) => m.memberId),
    [a, cId],
  )
  assert.equal(await heartbeat(c, 1, b), 25)
})

test('leaving: v0 by member id, the leader hands over, unknown members are reported', async (t) => {
  const c = await setup(t)
  const { a, b } = await stablePair(c)
  const left = await c.leaveGroup({ groupId: 'g', memberId: a, members: [] }, 0)
  assert.deepEqual(roundTrip(leaveGroupApi, left, 0), { throttleTimeMs: 0, errorCode: 0, members: [] })
  assert.equal(await heartbeat(c, 1, b), 27)
  const jb = await join(c, { memberId: b })
  assert.equal(jb.generationId, 2)
  assert.equal(jb.leader, b)
  assert.deepEqual(
    (await c.leaveGroup({ groupId: 'g', memberId: a, members: [] }, 2)).errorCode,
    25, // UNKNOWN_MEMBER_ID, as the top-level code before v3
  )
  const batch = await c.leaveGroup(
    {
      groupId: 'g',
      memberId: '',
      members: [
        { memberId: b, groupInstanceId: null, reason: 'bye' },
        { memberId: 'nobody', groupInstanceId: null, reason: null },
      ],
    },
    5,
  )
  assert.deepEqual(roundTrip(leaveGroupApi, batch, 5), {
    throttleTimeMs: 0,
    errorCode: 0,
    members: [
      { memberId: b, groupInstanceId: null, errorCode: 0 },
      { memberId: 'nobody', groupInstanceId: null, errorCode: 25 },
    ],
  })
  // The last member left: the group is Empty, one generation later.
  const d = await describe(c)
  assert.equal(d.groupState, 'Empty')
  assert.deepEqual(d.members, [])
  assert.deepEqual((await c.listGroups({ statesFilter: [], typesFilter: [] }, 0)).groups, [
    { groupId: 'g', protocolType: 'consumer', groupState: '', groupType: '' },
  ])
})

test('static members restart without a rebalance; their old incarnation is fenced', async (t) => {
  const c = await setup(t)
  const owned = subscription(['orders'], [{ topic: 'orders', partitions: [2, 3] }])
  const [ja, jb] = await Promise.all([
    join(c, { groupInstanceId: 'inst-a' }, 5, 'a'),
    join(c, { groupInstanceId: 'inst-b', protocols: [{ name: 'range', metadata: owned }] }, 5, 'b'),
  ])
  // Static members get their id at once (no MEMBER_ID_REQUIRED); it starts with the instance id.
  assert.match(ja.memberId, /^inst-a-/)
  assert.deepEqual(ja.members, [
    { memberId: ja.memberId, groupInstanceId: 'inst-a', metadata: SUB },
    { memberId: jb.memberId, groupInstanceId: 'inst-b', metadata: owned },
  ])
  const pb = sync(c, 1, jb.memberId, [], { groupInstanceId: 'inst-b' })
  await sync(
    c,
    1,
    ja.memberId,
    [
      { memberId: ja.memberId, assignment: assignment(0, 1) },
      { memberId: jb.memberId, assignment: assignment(2, 3) },
    ],
    { groupInstanceId: 'inst-a' },
  )
  await pb

  // b restarts: no member id, same subscription (its owned partitions differ, which does not count).
  const restarted = await join(c, { groupInstanceId: 'inst-b' }, 5, 'b')
  assert.notEqual(restarted.memberId, jb.memberId)
  assert.deepEqual(restarted, {
    throttleTimeMs: 0,
    errorCode: 0,
    generationId: 1,
    protocolType: null,
    protocolName: 'range',
    leader: ja.memberId,
    skipAssignment: false,
    memberId: restarted.memberId,
    members: [],
  })
  assert.equal((await describe(c)).groupState, 'Stable')
  assert.equal(await heartbeat(c, 1, ja.memberId, 'inst-a'), 0) // no rebalance for the others
  const s = await sync(c, 1, restarted.memberId, [], { groupInstanceId: 'inst-b' })
  assert.deepEqual(s.assignment, assignment(2, 3))

  // The old incarnation is fenced everywhere it shows up.
  assert.equal(await heartbeat(c, 1, jb.memberId, 'inst-b'), 82) // FENCED_INSTANCE_ID
  assert.equal((await sync(c, 1, jb.memberId, [], { groupInstanceId: 'inst-b' })).errorCode, 82)
  assert.equal((await join(c, { memberId: jb.memberId, groupInstanceId: 'inst-b' }, 5)).errorCode, 82)
  const commit = await c.offsetCommit(
    {
      groupId: 'g',
      generationIdOrMemberEpoch: 1,
      memberId: jb.memberId,
      groupInstanceId: 'inst-b',
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 2,
              committedOffset: 1n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: '',
            },
          ],
        },
      ],
    },
    8,
  )
  assert.equal(commit.topics[0]!.partitions[0]!.errorCode, 82)
  // An instance id the group does not know.
  assert.equal(await heartbeat(c, 1, jb.memberId, 'inst-z'), 25)

  // The static leader restarts on v9: it is told to skip the assignment and gets the member list.
  const leader = await join(c, { groupInstanceId: 'inst-a' }, 9, 'a')
  assert.equal(leader.errorCode, 0)
  assert.equal(leader.generationId, 1)
  assert.equal(leader.skipAssignment, true)
  assert.equal(leader.leader, leader.memberId)
  assert.deepEqual(
    leader.members.map((m) => m.groupInstanceId),
    ['inst-a', 'inst-b'],
  )
  assert.equal((await describe(c)).groupState, 'Stable')

  // A restart with a different subscription does rebalance; it completes once the leader rejoins.
  const changed = join(
    c,
    { groupInstanceId: 'inst-b', protocols: [{ name: 'range', metadata: subscription(['payments']) }] },
    5,
  )
  assert.equal((await describe(c)).groupState, 'PreparingRebalance')
  assert.equal(await heartbeat(c, 1, leader.memberId, 'inst-a'), 27)
  const [rejoined, changedB] = await Promise.all([
    join(c, { memberId: leader.memberId, groupInstanceId: 'inst-a' }, 5),
    changed,
  ])
  assert.equal(rejoined.generationId, 2)
  assert.equal(changedB.generationId, 2)
  assert.equal(rejoined.leader, leader.memberId)
})

test('a static member leaves by instance id (LeaveGroup v3+), which rebalances the group', async (t) => {
  const c = await setup(t)
  const [ja, jb] = await Promise.all([
    join(c, { groupInstanceId: 'inst-a' }, 5, 'a'),
    join(c, { groupInstanceId: 'inst-b' }, 5, 'b'),
  ])
  const pb = sync(c, 1, jb.memberId, [], { groupInstanceId: 'inst-b' })
  await sync(c, 1, ja.memberId, [], { groupInstanceId: 'inst-a' })
  await pb
  const left = await c.leaveGroup(
    {
      groupId: 'g',
      memberId: '',
      members: [{ memberId: '', groupInstanceId: 'inst-b', reason: 'scale down' }],
    },
    4,
  )
  assert.deepEqual(roundTrip(leaveGroupApi, left, 4), {
    throttleTimeMs: 0,
    errorCode: 0,
    members: [{ memberId: '', groupInstanceId: 'inst-b', errorCode: 0 }],
  })
  const d = await describe(c, 4)
  assert.equal(d.groupState, 'PreparingRebalance')
  assert.deepEqual(
    d.members.map((m) => [m.memberId, m.groupInstanceId]),
    [[ja.memberId, 'inst-a']],
  )
  assert.equal(await heartbeat(c, 1, ja.memberId, 'inst-a'), 27)
  const again = await c.leaveGroup(
    { groupId: 'g', memberId: '', members: [{ memberId: '', groupInstanceId: 'inst-b', reason: null }] },
    3,
  )
  assert.deepEqual(again.members, [{ memberId: '', groupInstanceId: 'inst-b', errorCode: 25 }])
})

test('error codes for bad sessions, protocols, generations and members', async (t) => {
  const c = await setup(t)
  assert.equal((await join(c, { sessionTimeoutMs: 5_999 })).errorCode, 26) // INVALID_SESSION_TIMEOUT
  assert.equal((await join(c, { sessionTimeoutMs: 1_800_001 })).errorCode, 26)
  assert.equal((await join(c, { groupId: '' })).errorCode, 24) // INVALID_GROUP_ID
  assert.equal((await join(c, { protocols: [] }, 3)).errorCode, 23) // INCONSISTENT_GROUP_PROTOCOL
  // Failed joins leave no group behind.
  assert.deepEqual((await c.listGroups({ statesFilter: [], typesFilter: [] }, 3)).groups, [])
  assert.equal(await heartbeat(c, 1, 'x'), 25) // no such group

  const { a, b } = await stablePair(c)
  assert.equal((await join(c, { protocolType: 'connect' }, 3)).errorCode, 23)
  assert.equal((await join(c, { protocols: [{ name: 'roundrobin', metadata: SUB }] }, 3)).errorCode, 23)
  assert.equal(await heartbeat(c, 2, a), 22) // ILLEGAL_GENERATION
  assert.equal(await heartbeat(c, 1, 'stranger'), 25)
  assert.equal((await sync(c, 1, 'stranger')).errorCode, 25)
  assert.equal((await sync(c, 0, b)).errorCode, 22)
  assert.equal((await sync(c, 1, b, [], { protocolName: 'roundrobin' })).errorCode, 23)
  assert.equal((await sync(c, 1, b, [], { protocolType: 'connect' })).errorCode, 23)
  assert.deepEqual(await sync(c, 1, b, [], { protocolType: null, protocolName: null }, 3), {
    throttleTimeMs: 0,
    errorCode: 0,
    protocolType: null,
    protocolName: null,
    assignment: assignment(2, 3),
  })

  // During CompletingRebalance a member's commit is refused with REBALANCE_IN_PROGRESS.
  const joins = Promise.all([join(c, { memberId: a }), join(c, { memberId: b })])
  await joins
  const res = await c.offsetCommit(
    {
      groupId: 'g',
      generationIdOrMemberEpoch: 2,
      memberId: b,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [
        {
          name: 'orders',
          partitions: [
            {
              partitionIndex: 0,
              committedOffset: 5n,
              committedLeaderEpoch: -1,
              commitTimestamp: -1n,
              committedMetadata: null,
            },
          ],
        },
      ],
    },
    8,
  )
  assert.deepEqual(res.topics[0]!.partitions, [{ partitionIndex: 0, errorCode: 27 }])
})

test('the group protocol is the one most members prefer among those all support', async (t) => {
  const c = await setup(t)
  const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }))
  const [x, y, z] = await Promise.all([
    join(c, { protocols: p('range', 'roundrobin', 'sticky') }, 3),
    join(c, { protocols: p('roundrobin', 'range') }, 3),
    join(c, { protocols: p('roundrobin', 'range') }, 3),
  ])
  assert.equal(x.protocolName, 'roundrobin')
  assert.deepEqual(x.members, [
    { memberId: x.memberId, groupInstanceId: null, metadata: Buffer.from('roundrobin') },
    { memberId: y.memberId, groupInstanceId: null, metadata: Buffer.from('roundrobin') },
    { memberId: z.memberId, groupInstanceId: null, metadata: Buffer.from('roundrobin') },
  ])
  // A tie goes to the leader's preference.
  const c2 = await setup(t)
  const [u] = await Promise.all([
    join(c2, { protocols: p('range', 'roundrobin') }, 3),
    join(c2, { protocols: p('roundrobin', 'range') }, 3),
  ])
  assert.equal(u.protocolName, 'range')
})

test('the initial rebalance delay gathers late joiners; close answers parked requests', async (t) => {
  const c = await setup(t, { initialRebalanceDelayMs: 100 })
  const first = join(c, {}, 3, 'early')
  await sleep(50)
  const second = join(c, {}, 3, 'late')
  const [j1, j2] = await Promise.all([first, second])
  assert.equal(j1.generationId, 1)
  assert.deepEqual(
    j1.members.map((m) => m.memberId),
    [j1.memberId, j2.memberId],
  )

  // Parked requests are answered NOT_COORDINATOR on close; later ones COORDINATOR_NOT_AVAILABLE.
  const parkedSync = sync(c, 1, j2.memberId)
  const c2 = await setup(t, { initialRebalanceDelayMs: 60_000 })
  const parkedJoin = join(c2, {}, 3)
  await c.close()
  await c2.close()
  assert.equal((await parkedSync).errorCode, 16)
  assert.equal((await parkedJoin).errorCode, 16)
  assert.equal((await join(c, {}, 3)).errorCode, 15)
  assert.equal(await heartbeat(c, 1, j1.memberId), 15)
})
