// The classic consumer-group coordinator: Kafka's JoinGroup/SyncGroup/Heartbeat/LeaveGroup
// rebalance protocol plus committed offsets, without sockets. It follows Kafka's (pre-KIP-848)
// GroupCoordinator closely, state by state and error by error, because clients are written against
// that exact behaviour. Kafka's purgatories become plain timers: one per member for its session,
// one per group for the join phase and one for the sync phase.
//
// Every handler changes state synchronously before it first waits, so requests take effect in call
// order; JoinGroup and SyncGroup then park on a promise that a later request or timer settles.
// Membership is memory-only (a restart empties every group, clients rejoin); committed offsets are
// durable in `__consumer_offsets` through the OffsetStore, and a commit is answered only once durable.
import { randomUUID } from 'node:crypto'
import { isRiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import { type Clock, systemClock } from '../../core/time.ts'
import type { LogStore } from '../../log/store.ts'
import { type KafkaErrorName, errorCode } from '../../protocol/errors.ts'
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../protocol/messages/delete-groups.ts'
import type {
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  DescribedGroup,
} from '../../protocol/messages/describe-groups.ts'
import type { HeartbeatRequest, HeartbeatResponse } from '../../protocol/messages/heartbeat.ts'
import type { JoinGroupRequest, JoinGroupResponse } from '../../protocol/messages/join-group.ts'
import type {
  LeaveGroupRequest,
  LeaveGroupResponse,
  MemberResponse,
} from '../../protocol/messages/leave-group.ts'
import type { ListGroupsRequest, ListGroupsResponse } from '../../protocol/messages/list-groups.ts'
import type {
  OffsetCommitRequest,
  OffsetCommitRequestPartition,
  OffsetCommitResponse,
  OffsetCommitResponsePartition,
} from '../../protocol/messages/offset-commit.ts'
import type {
  OffsetDeleteRequest,
  OffsetDeleteResponse,
  OffsetDeleteResponsePartition,
} from '../../protocol/messages/offset-delete.ts'
import type { OffsetFetchRequest, OffsetFetchResponse } from '../../protocol/messages/offset-fetch.ts'
import type { SyncGroupRequest, SyncGroupResponse } from '../../protocol/messages/sync-group.ts'
import type {
  TxnOffsetCommitRequest,
  TxnOffsetCommitResponse,
  TxnOffsetCommitResponsePartition,
} from '../../protocol/messages/txn-offset-commit.ts'
import {
  Group,
  type JoinResult,
  Member,
  type Protocol,
  type SyncResult,
  subscribedTopicsOf,
} from './group.ts'
import {
  CONSUMER_OFFSETS_TOPIC,
  type OffsetChange,
  OffsetStore,
  type OffsetsTxnMarker,
} from './offset-store.ts'

export interface GroupCoordinatorOptions {
  store: LogStore
  clock?: Clock
  /** Kafka's group.initial.rebalance.delay.ms; 0 here so tests need not wait, servers pass 3000. */
  initialRebalanceDelayMs?: number
  /** group.min.session.timeout.ms */
  minSessionTimeoutMs?: number
  /** group.max.session.timeout.ms */
  maxSessionTimeoutMs?: number
}

/** How long a brand-new member may stay parked in JoinGroup (Kafka's NewMemberJoinTimeoutMs). */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60_000
/** offset.metadata.max.bytes (Kafka counts characters). */
const MAX_OFFSET_METADATA_LENGTH = 4096
/** READ, DELETE and DESCRIBE as AclOperation bits: everything a group supports, with no authorizer. */
const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8)
const AUTHORIZED_OPERATIONS_OMITTED = -2147483648
const MAX_TIMER_MS = 2_147_483_647
const NONE = 0
const EMPTY = Buffer.alloc(0)
const log = childLogger('groups')

interface JoinParams {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocolType: string
  protocols: Protocol[]
  requireKnownMemberId: boolean
  supportSkippingAssignment: boolean
}

interface FetchedPartition {
  partitionIndex: number
  committedOffset: bigint
  committedLeaderEpoch: number
  metadata: string | null
  errorCode: number
}

interface FetchedTopic {
  name: string
  partitions: FetchedPartition[]
}

function joinError(memberId: string, name: KafkaErrorName): JoinResult {
  return {
    errorCode: errorCode(name),
    memberId,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: '',
    skipAssignment: false,
    members: [],
  }
}

function syncError(name: KafkaErrorName): SyncResult {
  return { errorCode: errorCode(name), protocolType: null, protocolName: null, assignment: EMPTY }
}

function joinResponse(r: JoinResult, version: number): JoinGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    generationId: r.generationId,
    protocolType: version >= 7 ? r.protocolType : null,
    // Non-nullable before v7, where Kafka answers '' for "no protocol".
    protocolName: version >= 7 ? r.protocolName : (r.protocolName ?? ''),
    leader: r.leader,
    skipAssignment: version >= 9 ? r.skipAssignment : false,
    memberId: r.memberId,
    members: r.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: version >= 5 ? m.groupInstanceId : null,
      metadata: m.metadata,
    })),
  }
}

function syncResponse(r: SyncResult, version: number): SyncGroupResponse {
  return {
    throttleTimeMs: 0,
    errorCode: r.errorCode,
    protocolType: version >= 5 ? r.protocolType : null,
    protocolName: version >= 5 ? r.protocolName : null,
    assignment: r.assignment,
  }
}

/** The error a failed append of offsets answers with, as Kafka maps its storage errors. */
function storageError(e: unknown): KafkaErrorName {
  if (isRiffleError(e, 'RECORD_TOO_LARGE')) return 'INVALID_COMMIT_OFFSET_SIZE'
  // A transactional commit from a fenced producer, or one out of sequence: the log's own answers.
  if (isRiffleError(e, 'INVALID_PRODUCER_EPOCH')) return 'INVALID_PRODUCER_EPOCH'
  if (isRiffleError(e, 'OUT_OF_ORDER_SEQUENCE')) return 'OUT_OF_ORDER_SEQUENCE_NUMBER'
  if (isRiffleError(e, 'CLOSED')) return 'NOT_COORDINATOR'
  if (isRiffleError(e)) return 'COORDINATOR_NOT_AVAILABLE'
  return 'UNKNOWN_SERVER_ERROR'
}

/** Static members must present their current member id; dynamic ones must be members. */
function validateCurrentMember(
  group: Group,
  memberId: string,
  groupInstanceId: string | null,
): KafkaErrorName | null {
  if (groupInstanceId !== null) {
    const current = group.staticMembers.get(groupInstanceId)
    if (current === undefined) return 'UNKNOWN_MEMBER_ID'
    return current === memberId ? null : 'FENCED_INSTANCE_ID'
  }
  return group.members.has(memberId) ? null : 'UNKNOWN_MEMBER_ID'
}

export class GroupCoordinator {
  /** Where committed offsets live; their partition takes part in transactions (TxnOffsetCommit). */
  readonly offsetsTopic = CONSUMER_OFFSETS_TOPIC
  private readonly store: LogStore
  private readonly offsets: OffsetStore
  private readonly clock: Clock
  private readonly initialRebalanceDelayMs: number
  private readonly minSessionTimeoutMs: number
  private readonly maxSessionTimeoutMs: number
  private readonly groups = new Map<string, Group>()
  private closed = false

  private constructor(options: GroupCoordinatorOptions, offsets: OffsetStore) {
    this.store = options.store
    this.offsets = offsets
    this.clock = options.clock ?? systemClock
    this.initialRebalanceDelayMs = options.initialRebalanceDelayMs ?? 0
    this.minSessionTimeoutMs = options.minSessionTimeoutMs ?? 6000
    this.maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 1_800_000
  }

  /** Opens (creating if needed) `__consumer_offsets` and loads committed offsets from it. */
  static async open(options: GroupCoordinatorOptions): Promise<GroupCoordinator> {
    const offsets = await OffsetStore.open(options.store)
    const coordinator = new GroupCoordinator(options, offsets)
    // Groups that only have offsets exist as Empty, as Kafka shows them after a restart.
    for (const id of offsets.knownGroups()) coordinator.groups.set(id, new Group(id))
    return coordinator
  }

  // ----- JoinGroup

  joinGroup(
    req: JoinGroupRequest,
    version: number,
    ctx: { clientId: string; clientHost: string },
  ): Promise<JoinGroupResponse> {
    return new Promise((resolve) => {
      const respond = (r: JoinResult): void => resolve(joinResponse(r, version))
      const immediate = this.handleJoin(req, version, ctx, respond)
      if (immediate) respond(immediate)
    })
  }

  private handleJoin(
    req: JoinGroupRequest,
    version: number,
    ctx: { clientId: string; clientHost: string },
    respond: (r: JoinResult) => void,
  ): JoinResult | undefined {
    const memberId = req.memberId
    if (this.closed) return joinError(memberId, 'COORDINATOR_NOT_AVAILABLE')
    if (req.groupId === '') return joinError(memberId, 'INVALID_GROUP_ID')
    if (req.sessionTimeoutMs < this.minSessionTimeoutMs || req.sessionTimeoutMs > this.maxSessionTimeoutMs) {
      return joinError(memberId, 'INVALID_SESSION_TIMEOUT')
    }
    const isUnknownMember = memberId === ''
    let group = this.groups.get(req.groupId)
    const created = group === undefined
    if (!group) {
      // Only an unknown member may create a group; a known member id needs its group.
      if (!isUnknownMember) return joinError(memberId, 'UNKNOWN_MEMBER_ID')
      group = new Group(req.groupId)
      this.groups.set(req.groupId, group)
    }
    const params: JoinParams = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      // v0 has no rebalance timeout: Kafka uses the session timeout.
      rebalanceTimeoutMs:
        version === 0 || req.rebalanceTimeoutMs <= 0 ? req.sessionTimeoutMs : req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      // Copied: the request's buffers may be views into a reused network frame.
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      requireKnownMemberId: version >= 4 && req.groupInstanceId === null,
      supportSkippingAssignment: version >= 9,
    }
    const result = isUnknownMember
      ? this.joinNewMember(group, params, respond)
      : this.joinCurrentMember(group, params, respond)
    if (group.is('PreparingRebalance')) this.checkJoin(group)
    if (created) this.dropIfNeverUsed(group)
    return result
  }

  private joinNewMember(
    group: Group,
    j: JoinParams,
    respond: (r: JoinResult) => void,
  ): JoinResult | undefined {
    if (group.is('Dead')) return joinError('', 'COORDINATOR_NOT_AVAILABLE')
    if (!group.supportsProtocols(j.protocolType, j.protocols)) {
      return joinError('', 'INCONSISTENT_GROUP_PROTOCOL')
    }
    const newMemberId = `${j.groupInstanceId ?? j.clientId}-${randomUUID()}`
    if (j.groupInstanceId !== null) {
      const oldMemberId = group.staticMembers.get(j.groupInstanceId)
      if (oldMemberId !== undefined) {
        return this.updateStaticMemberAndRebalance(group, oldMemberId, newMemberId, j, respond)
      }
      return this.addMemberAndRebalance(group, newMemberId, j, respond)
    }
    if (j.requireKnownMemberId) {
      // The member must come back with this id; until then it holds up the join phase.
      group.pendingMembers.set(
        newMemberId,
        this.timer(j.sessionTimeoutMs, () => this.expirePendingMember(group, newMemberId)),
      )
      return joinError(newMemberId, 'MEMBER_ID_REQUIRED')
    }
    return this.addMemberAndRebalance(group, newMemberId, j, respond)
  }

  private joinCurrentMember(
    group: Group,
    j: JoinParams,
    respond: (r: JoinResult) => void,
  ): JoinResult | undefined {
    const memberId = j.memberId
    if (group.is('Dead')) return joinError(memberId, 'COORDINATOR_NOT_AVAILABLE')
    if (!group.supportsProtocols(j.protocolType, j.protocols)) {
      return joinError(memberId, 'INCONSISTENT_GROUP_PROTOCOL')
    }
    if (group.pendingMembers.has(memberId)) return this.addMemberAndRebalance(group, memberId, j, respond)
    const error = validateCurrentMember(group, memberId, j.groupInstanceId)
    if (error) return joinError(memberId, error)
    const member = group.members.get(memberId)!
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, j, respond)
      case 'CompletingRebalance':
        // Same metadata: the member probably lost the JoinGroup response; answer it again.
        if (member.matches(j.protocols)) return this.joinResult(group, member, group.isLeader(memberId))
        return this.updateMemberAndRebalance(group, member, j, respond)
      case 'Stable':
        // A leader's rejoin forces a rebalance: that is how it reacts to topic metadata changes.
        if (group.isLeader(memberId) || !member.matches(j.protocols)) {
          return this.updateMemberAndRebalance(group, member, j, respond)
        }
        return this.joinResult(group, member, false)
      default:
        return joinError(memberId, 'UNKNOWN_MEMBER_ID')
    }
  }

  private joinResult(group: Group, member: Member, withMembers: boolean): JoinResult {
    return {
      errorCode: NONE,
      memberId: member.memberId,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      members: withMembers ? group.currentMemberMetadata() : [],
    }
  }

  private addMemberAndRebalance(
    group: Group,
    memberId: string,
    j: JoinParams,
    respond: (r: JoinResult) => void,
  ): undefined {
    const member = new Member({
      memberId,
      groupInstanceId: j.groupInstanceId,
      clientId: j.clientId,
      clientHost: j.clientHost,
      protocolType: j.protocolType,
      rebalanceTimeoutMs: j.rebalanceTimeoutMs,
      sessionTimeoutMs: j.sessionTimeoutMs,
      protocols: j.protocols,
    })
    member.isNew = true
    // During the initial delay each newcomer extends the wait, so a starting fleet joins as one.
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true
    group.add(member)
    member.joinWaiter = respond
    // A new member cannot heartbeat while parked; this bounds how long a vanished one lingers.
    this.scheduleHeartbeat(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS)
    const pending = group.pendingMembers.get(memberId)
    if (pending) clearTimeout(pending)
    group.pendingMembers.delete(memberId)
    this.maybePrepareRebalance(group, `member ${memberId} joined`)
  }

  private updateMemberAndRebalance(
    group: Group,
    member: Member,
    j: JoinParams,
    respond: (r: JoinResult) => void,
  ): undefined {
    this.updateMember(member, j, respond)
    this.maybePrepareRebalance(group, `member ${member.memberId} rejoined`)
  }

  private updateMember(member: Member, j: JoinParams, respond: (r: JoinResult) => void): void {
    member.protocols = j.protocols
    member.rebalanceTimeoutMs = j.rebalanceTimeoutMs
    member.sessionTimeoutMs = j.sessionTimeoutMs
    // A JoinGroup superseded by a newer one from the same member must still get an answer.
    this.settleJoin(member, joinError(member.memberId, 'REBALANCE_IN_PROGRESS'))
    member.joinWaiter = respond
  }

  /**
   * A known static member (by group.instance.id) restarts with no member id: it takes over the old
   * member's place under a new id. In a Stable group whose protocol and subscription do not change,
   * no rebalance happens and the member gets its old assignment from SyncGroup.
   */
  private updateStaticMemberAndRebalance(
    group: Group,
    oldMemberId: string,
    newMemberId: string,
    j: JoinParams,
    respond: (r: JoinResult) => void,
  ): JoinResult | undefined {
    const currentLeader = group.leaderId ?? ''
    const old = group.members.get(oldMemberId)!
    // Whatever the old incarnation still has parked is fenced.
    this.settleJoin(old, joinError(oldMemberId, 'FENCED_INSTANCE_ID'))
    this.settleSync(old, syncError('FENCED_INSTANCE_ID'))
    const oldProtocols = old.protocols
    const member = group.replaceStaticMember(j.groupInstanceId!, oldMemberId, newMemberId)
    this.scheduleHeartbeat(group, member, member.sessionTimeoutMs)
    this.updateMember(member, j, respond)
    switch (group.state) {
      case 'Stable': {
        if (
          group.selectProtocol() === group.protocolName &&
          !this.subscriptionChanged(group, oldProtocols, j.protocols)
        ) {
          const isLeader = group.isLeader(newMemberId)
          const skip = isLeader && j.supportSkippingAssignment
          member.joinWaiter = null
          // The old leader id is returned so that a restarted leader does not compute an assignment
          // a Stable group would never distribute; v9+ instead tells it to skip the assignment.
          return {
            errorCode: NONE,
            memberId: newMemberId,
            generationId: group.generationId,
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            leader: skip ? newMemberId : currentLeader,
            skipAssignment: skip,
            members: skip ? group.currentMemberMetadata() : [],
          }
        }
        this.maybePrepareRebalance(group, `static member ${j.groupInstanceId} rejoined with new metadata`)
        return undefined
      }
      case 'CompletingRebalance':
        // The leader may already be assigning to the old member id: start over.
        this.prepareRebalance(group, `static member ${j.groupInstanceId} rejoined during sync`)
        return undefined
      default:
        // PreparingRebalance: the member is simply part of the running join phase.
        return undefined
    }
  }

  /**
   * Whether a consumer-protocol member's subscribed topics differ. Raw metadata is not compared:
   * it also carries owned partitions and the generation, which always change across a restart.
   */
  private subscriptionChanged(
    group: Group,
    before: readonly Protocol[],
    after: readonly Protocol[],
  ): boolean {
    if (!group.isConsumerGroup() || group.protocolName === null) return false
    const name = group.protocolName
    const a = subscribedTopicsOf(before.find((p) => p.name === name)?.metadata ?? EMPTY)
    const b = subscribedTopicsOf(after.find((p) => p.name === name)?.metadata ?? EMPTY)
    if (a === null || b === null) return false
    const x = [...new Set(a)].sort()
    const y = [...new Set(b)].sort()
    return x.length !== y.length || x.some((t, i) => t !== y[i])
  }

  // ----- the rebalance state machine

  private maybePrepareRebalance(group: Group, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason)
  }

  private prepareRebalance(group: Group, reason: string): void {
    // Members parked in SyncGroup must rejoin instead.
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, 'REBALANCE_IN_PROGRESS')
    this.clearSyncTimer(group)
    const wasEmpty = group.is('Empty')
    group.state = 'PreparingRebalance'
    log.debug({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance')
    if (wasEmpty) {
      const delay = this.initialRebalanceDelayMs
      this.scheduleInitialJoin(group, delay, Math.max(group.rebalanceTimeoutMs - delay, 0))
    } else {
      this.scheduleJoin(group)
    }
  }

  /** The join phase: completes when every member has rejoined, or at the rebalance timeout. */
  private scheduleJoin(group: Group): void {
    this.clearJoinTimer(group)
    group.joinIsInitialDelay = false
    group.joinTimer = this.timer(group.rebalanceTimeoutMs, () => {
      group.joinTimer = null
      this.onCompleteJoin(group)
    })
    this.checkJoin(group)
  }

  /** The first join phase of an empty group waits out its delay, longer while members keep arriving. */
  private scheduleInitialJoin(group: Group, delayMs: number, remainingMs: number): void {
    this.clearJoinTimer(group)
    group.joinIsInitialDelay = true
    group.joinTimer = this.timer(delayMs, () => {
      group.joinTimer = null
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false
        const delay = Math.min(this.initialRebalanceDelayMs, remainingMs)
        this.scheduleInitialJoin(group, delay, Math.max(remainingMs - delay, 0))
      } else {
        this.onCompleteJoin(group)
      }
    })
  }

  private checkJoin(group: Group): void {
    if (
      group.is('PreparingRebalance') &&
      group.joinTimer !== null &&
      !group.joinIsInitialDelay &&
      group.hasAllMembersJoined()
    ) {
      this.clearJoinTimer(group)
      this.onCompleteJoin(group)
    }
  }

  private onCompleteJoin(group: Group): void {
    this.clearJoinTimer(group)
    group.newMemberAdded = false
    // Dynamic members that did not rejoin in time are gone; static ones stay until their session ends.
    for (const m of [...group.members.values()]) {
      if (m.joinWaiter === null && m.groupInstanceId === null) {
        this.clearHeartbeat(m)
        this.settleSync(m, syncError('UNKNOWN_MEMBER_ID'))
        group.remove(m.memberId)
      }
    }
    if (group.is('Dead')) return
    if (!group.maybeElectNewJoinedLeader() && group.members.size > 0) {
      // Nobody rejoined: wait another round, until sessions expire the silent members.
      log.warn({ group: group.groupId }, 'could not complete rebalance because no members rejoined')
      this.scheduleJoin(group)
      return
    }
    group.initNextGeneration()
    if (group.is('Empty')) {
      log.debug({ group: group.groupId, generation: group.generationId }, 'group is now empty')
      return
    }
    log.debug(
      { group: group.groupId, generation: group.generationId, members: group.members.size },
      'rebalance: join phase complete',
    )
    for (const m of group.members.values()) {
      this.settleJoin(m, this.joinResult(group, m, group.isLeader(m.memberId)))
      this.scheduleHeartbeat(group, m, m.sessionTimeoutMs)
      m.isNew = false
      group.pendingSyncMembers.add(m.memberId)
    }
    this.schedulePendingSync(group)
  }

  /** Members that do not send SyncGroup within the rebalance timeout are removed. */
  private schedulePendingSync(group: Group): void {
    this.clearSyncTimer(group)
    const generation = group.generationId
    group.syncTimer = this.timer(group.rebalanceTimeoutMs, () => {
      group.syncTimer = null
      if (generation !== group.generationId) return
      if (!group.is('CompletingRebalance') && !group.is('Stable')) return
      const missing = [...group.pendingSyncMembers]
      if (missing.length === 0) return
      log.info({ group: group.groupId, members: missing }, 'removing members that did not sync')
      for (const id of missing) {
        const m = group.remove(id)
        if (!m) continue
        this.clearHeartbeat(m)
        this.settleJoin(m, joinError('', 'UNKNOWN_MEMBER_ID'))
        this.settleSync(m, syncError('UNKNOWN_MEMBER_ID'))
      }
      this.maybePrepareRebalance(group, 'members did not sync in time')
    })
  }

  private removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId)
    if (group.pendingSyncMembers.size === 0) this.clearSyncTimer(group)
  }

  private resetAndPropagateAssignmentError(group: Group, name: KafkaErrorName): void {
    for (const m of group.members.values()) m.assignment = EMPTY
    this.propagateAssignment(group, errorCode(name))
  }

  private propagateAssignment(group: Group, code: number): void {
    for (const m of group.members.values()) {
      if (m.syncWaiter) {
        this.settleSync(m, {
          errorCode: code,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: m.assignment,
        })
        // Parked members were exempt from expiry; their session starts again now.
        this.scheduleHeartbeat(group, m, m.sessionTimeoutMs)
      }
    }
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member, reason: string): void {
    // A new member may be parked in JoinGroup: it learns it is gone and may retry.
    this.settleJoin(member, joinError('', 'UNKNOWN_MEMBER_ID'))
    this.settleSync(member, syncError('UNKNOWN_MEMBER_ID'))
    this.clearHeartbeat(member)
    group.remove(member.memberId)
    log.debug({ group: group.groupId, member: member.memberId, reason }, 'member removed')
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalance(group, reason)
    else if (group.is('PreparingRebalance')) this.checkJoin(group)
  }

  private expirePendingMember(group: Group, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return
    if (group.is('PreparingRebalance')) this.checkJoin(group)
    this.dropIfNeverUsed(group)
  }

  /**
   * Forgets a group that never formed a generation and has no offsets, such as one created by a
   * failed join or by a MEMBER_ID_REQUIRED id that never came back. Groups that did form stay
   * listed as Empty, as in Kafka.
   */
  private dropIfNeverUsed(group: Group): void {
    if (
      group.is('Empty') &&
      group.generationId === 0 &&
      group.members.size === 0 &&
      group.pendingMembers.size === 0 &&
      !this.offsets.hasGroup(group.groupId) &&
      this.groups.get(group.groupId) === group
    ) {
      this.groups.delete(group.groupId)
    }
  }

  // ----- timers and parked requests

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    // setTimeout turns anything above 2^31-1 ms into 1 ms; Kafka Streams asks for exactly that.
    const delay = Math.min(Math.max(ms, 0), MAX_TIMER_MS)
    return setTimeout(() => {
      if (!this.closed) fn()
    }, delay)
  }

  /** Restarts the member's session: it is removed unless it shows up again within `timeoutMs`. */
  private scheduleHeartbeat(group: Group, member: Member, timeoutMs: number): void {
    this.clearHeartbeat(member)
    member.heartbeatTimer = this.timer(timeoutMs, () => {
      member.heartbeatTimer = null
      if (group.members.get(member.memberId) !== member) return
      // Members parked in a rebalance count as alive, except new ones (see NEW_MEMBER_JOIN_TIMEOUT_MS).
      if (!member.isNew && (member.joinWaiter !== null || member.syncWaiter !== null)) return
      log.info({ group: group.groupId, member: member.memberId }, 'member session expired')
      this.removeMemberAndUpdateGroup(group, member, `session of ${member.memberId} expired`)
    })
  }

  private clearHeartbeat(member: Member): void {
    if (member.heartbeatTimer) clearTimeout(member.heartbeatTimer)
    member.heartbeatTimer = null
  }

  private clearJoinTimer(group: Group): void {
    if (group.joinTimer) clearTimeout(group.joinTimer)
    group.joinTimer = null
  }

  private clearSyncTimer(group: Group): void {
    if (group.syncTimer) clearTimeout(group.syncTimer)
    group.syncTimer = null
  }

  private settleJoin(member: Member, result: JoinResult): void {
    const waiter = member.joinWaiter
    member.joinWaiter = null
    waiter?.(result)
  }

  private settleSync(member: Member, result: SyncResult): void {
    const waiter = member.syncWaiter
    member.syncWaiter = null
    waiter?.(result)
  }

  // ----- SyncGroup

  syncGroup(req: SyncGroupRequest, version: number): Promise<SyncGroupResponse> {
    return new Promise((resolve) => {
      const respond = (r: SyncResult): void => resolve(syncResponse(r, version))
      const immediate = this.handleSync(req, respond)
      if (immediate) respond(immediate)
    })
  }

  private handleSync(req: SyncGroupRequest, respond: (r: SyncResult) => void): SyncResult | undefined {
    if (this.closed) return syncError('COORDINATOR_NOT_AVAILABLE')
    if (req.groupId === '') return syncError('INVALID_GROUP_ID')
    const group = this.groups.get(req.groupId)
    if (!group) return syncError('UNKNOWN_MEMBER_ID')
    if (group.is('Dead')) return syncError('COORDINATOR_NOT_AVAILABLE')
    let error = validateCurrentMember(group, req.memberId, req.groupInstanceId)
    if (!error && req.generationId !== group.generationId) error = 'ILLEGAL_GENERATION'
    // v5 names the protocol the client assigned with; it must be the group's.
    if (!error && req.protocolType !== null && req.protocolType !== group.protocolType)
      error = 'INCONSISTENT_GROUP_PROTOCOL'
    if (!error && req.protocolName !== null && req.protocolName !== group.protocolName)
      error = 'INCONSISTENT_GROUP_PROTOCOL'
    if (error) return syncError(error)
    const member = group.members.get(req.memberId)!
    switch (group.state) {
      case 'Empty':
        return syncError('UNKNOWN_MEMBER_ID')
      case 'PreparingRebalance':
        return syncError('REBALANCE_IN_PROGRESS')
      case 'CompletingRebalance': {
        this.settleSync(member, syncError('REBALANCE_IN_PROGRESS'))
        member.syncWaiter = respond
        this.removePendingSyncMember(group, member.memberId)
        if (group.isLeader(member.memberId)) {
          const assignments = new Map<string, Buffer>()
          for (const a of req.assignments) assignments.set(a.memberId, Buffer.from(a.assignment))
          // Members the leader left out get an empty assignment.
          for (const m of group.members.values()) m.assignment = assignments.get(m.memberId) ?? EMPTY
          group.state = 'Stable'
          log.debug({ group: group.groupId, generation: group.generationId }, 'rebalance complete: stable')
          this.propagateAssignment(group, NONE)
        }
        return undefined
      }
      case 'Stable':
        this.removePendingSyncMember(group, member.memberId)
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs)
        return {
          errorCode: NONE,
          protocolType: group.protocolType,
          protocolName: group.protocolName,
          assignment: member.assignment,
        }
      default:
        return syncError('COORDINATOR_NOT_AVAILABLE')
    }
  }

  // ----- Heartbeat

  async heartbeat(req: HeartbeatRequest, _version: number): Promise<HeartbeatResponse> {
    return { throttleTimeMs: 0, errorCode: errorCode(this.handleHeartbeat(req)) }
  }

  private handleHeartbeat(req: HeartbeatRequest): KafkaErrorName {
    if (this.closed) return 'COORDINATOR_NOT_AVAILABLE'
    if (req.groupId === '') return 'INVALID_GROUP_ID'
    const group = this.groups.get(req.groupId)
    if (!group) return 'UNKNOWN_MEMBER_ID'
    if (group.is('Dead')) return 'COORDINATOR_NOT_AVAILABLE'
    const error = validateCurrentMember(group, req.memberId, req.groupInstanceId)
    if (error) return error
    if (req.generationId !== group.generationId) return 'ILLEGAL_GENERATION'
    const member = group.members.get(req.memberId)!
    switch (group.state) {
      case 'Empty':
        return 'UNKNOWN_MEMBER_ID'
      case 'PreparingRebalance':
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs)
        return 'REBALANCE_IN_PROGRESS'
      case 'CompletingRebalance':
      case 'Stable':
        // Clients may heartbeat between their JoinGroup response and SyncGroup: a normal heartbeat.
        this.scheduleHeartbeat(group, member, member.sessionTimeoutMs)
        return 'NONE'
      default:
        return 'COORDINATOR_NOT_AVAILABLE'
    }
  }

  // ----- LeaveGroup

  async leaveGroup(req: LeaveGroupRequest, version: number): Promise<LeaveGroupResponse> {
    // v0-2 name one member by id; v3+ a batch, possibly by group.instance.id alone.
    const leaving =
      version >= 3 ? req.members : [{ memberId: req.memberId, groupInstanceId: null, reason: null }]
    const { errorCode: topLevel, members } = this.handleLeave(req.groupId, leaving)
    if (version >= 3) return { throttleTimeMs: 0, errorCode: topLevel, members }
    const first = members.find((m) => m.errorCode !== NONE)
    return {
      throttleTimeMs: 0,
      errorCode: topLevel !== NONE ? topLevel : (first?.errorCode ?? NONE),
      members: [],
    }
  }

  private handleLeave(
    groupId: string,
    leaving: readonly { memberId: string; groupInstanceId: string | null }[],
  ): { errorCode: number; members: MemberResponse[] } {
    if (this.closed) return { errorCode: errorCode('COORDINATOR_NOT_AVAILABLE'), members: [] }
    if (groupId === '') return { errorCode: errorCode('INVALID_GROUP_ID'), members: [] }
    const result = (m: { memberId: string; groupInstanceId: string | null }, name: KafkaErrorName) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: errorCode(name),
    })
    const group = this.groups.get(groupId)
    if (!group) return { errorCode: NONE, members: leaving.map((m) => result(m, 'UNKNOWN_MEMBER_ID')) }
    if (group.is('Dead')) return { errorCode: errorCode('COORDINATOR_NOT_AVAILABLE'), members: [] }
    const members = leaving.map((m) => {
      if (m.memberId === '') {
        // Administrative removal of a static member by its instance id.
        const current = m.groupInstanceId === null ? undefined : group.staticMembers.get(m.groupInstanceId)
        if (current === undefined) return result(m, 'UNKNOWN_MEMBER_ID')
        this.removeMemberAndUpdateGroup(group, group.members.get(current)!, `${m.groupInstanceId} left`)
        return result(m, 'NONE')
      }
      if (group.pendingMembers.has(m.memberId)) {
        clearTimeout(group.pendingMembers.get(m.memberId)!)
        this.expirePendingMember(group, m.memberId)
        return result(m, 'NONE')
      }
      const error = validateCurrentMember(group, m.memberId, m.groupInstanceId)
      if (error) return result(m, error)
      this.removeMemberAndUpdateGroup(group, group.members.get(m.memberId)!, `${m.memberId} left`)
      return result(m, 'NONE')
    })
    return { errorCode: NONE, members }
  }

  // ----- OffsetCommit

  async offsetCommit(req: OffsetCommitRequest, version: number): Promise<OffsetCommitResponse> {
    const response: OffsetCommitResponse = {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: NONE })),
      })),
    }
    const entries: {
      topic: string
      req: OffsetCommitRequestPartition
      res: OffsetCommitResponsePartition
    }[] = []
    req.topics.forEach((t, i) => {
      t.partitions.forEach((p, j) => {
        entries.push({ topic: t.name, req: p, res: response.topics[i]!.partitions[j]! })
      })
    })
    if (this.closed) {
      for (const e of entries) e.res.errorCode = errorCode('COORDINATOR_NOT_AVAILABLE')
      return response
    }
    const known = entries.filter((e) => {
      if (this.store.partition(e.topic, e.req.partitionIndex)) return true
      e.res.errorCode = errorCode('UNKNOWN_TOPIC_OR_PARTITION')
      return false
    })
    if (known.length === 0) return response
    const error = this.validateOffsetCommit(
      req.groupId,
      req.generationIdOrMemberEpoch,
      req.memberId,
      req.groupInstanceId,
    )
    if (error) {
      for (const e of known) e.res.errorCode = errorCode(error)
      return response
    }
    const now = this.clock.now()
    const changes: OffsetChange[] = []
    const written: OffsetCommitResponsePartition[] = []
    for (const e of known) {
      const metadata = e.req.committedMetadata ?? ''
      if (metadata.length > MAX_OFFSET_METADATA_LENGTH) {
        e.res.errorCode = errorCode('OFFSET_METADATA_TOO_LARGE')
        continue
      }
      // Only v1 lets the client set the commit time.
      const commitTimestamp =
        version === 1 && e.req.commitTimestamp >= 0n ? Number(e.req.commitTimestamp) : now
      changes.push({
        group: req.groupId,
        topic: e.topic,
        partition: e.req.partitionIndex,
        value: {
          offset: e.req.committedOffset,
          leaderEpoch: e.req.committedLeaderEpoch,
          metadata,
          commitTimestamp,
        },
      })
      written.push(e.res)
    }
    try {
      await this.offsets.write(changes, now)
    } catch (e) {
      log.warn({ group: req.groupId, err: e }, 'offset commit failed')
      const code = errorCode(storageError(e))
      for (const res of written) res.errorCode = code
    }
    return response
  }

  /** Kafka's rules for who may commit: members of the current generation, or anyone to an empty group. */
  private validateOffsetCommit(
    groupId: string,
    generationId: number,
    memberId: string,
    groupInstanceId: string | null,
  ): KafkaErrorName | null {
    let group = this.groups.get(groupId)
    if (!group) {
      // A group that only uses Kafka for offsets (no membership) is created by its first commit;
      // a generation without a group is a commit from a gone generation.
      if (generationId >= 0) return 'ILLEGAL_GENERATION'
      group = new Group(groupId)
      this.groups.set(groupId, group)
    }
    if (group.is('Dead')) return 'COORDINATOR_NOT_AVAILABLE'
    if (generationId >= 0 || memberId !== '' || groupInstanceId !== null) {
      const error = validateCurrentMember(group, memberId, groupInstanceId)
      if (error) return error
      if (generationId !== group.generationId) return 'ILLEGAL_GENERATION'
    } else if (!group.is('Empty')) {
      // Once a group has members, only they may commit.
      return 'UNKNOWN_MEMBER_ID'
    }
    switch (group.state) {
      case 'Empty':
        return null
      case 'Stable':
      case 'PreparingRebalance': {
        // Commits during PreparingRebalance are allowed: the heartbeat tells the member to rejoin.
        const member = group.members.get(memberId)
        if (member) this.scheduleHeartbeat(group, member, member.sessionTimeoutMs)
        return null
      }
      case 'CompletingRebalance':
        return 'REBALANCE_IN_PROGRESS'
      default:
        return 'COORDINATOR_NOT_AVAILABLE'
    }
  }

  // ----- TxnOffsetCommit

  /**
   * Offsets committed as part of a transaction (the transaction coordinator has checked the
   * producer and that AddOffsetsToTxn added the offsets partition). They are appended as a
   * transactional batch of the producer and become visible only when the transaction commits.
   * Nothing here waits before the append, so it lands in the log before any marker the
   * transaction's end writes.
   */
  async txnOffsetCommit(req: TxnOffsetCommitRequest, version: number): Promise<TxnOffsetCommitResponse> {
    const response: TxnOffsetCommitResponse = {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: NONE })),
      })),
    }
    const entries: {
      topic: string
      offset: bigint
      leaderEpoch: number
      metadata: string | null
      res: TxnOffsetCommitResponsePartition
    }[] = []
    req.topics.forEach((t, i) => {
      t.partitions.forEach((p, j) => {
        entries.push({
          topic: t.name,
          offset: p.committedOffset,
          leaderEpoch: version >= 2 ? p.committedLeaderEpoch : -1,
          metadata: p.committedMetadata,
          res: response.topics[i]!.partitions[j]!,
        })
      })
    })
    if (this.closed) {
      for (const e of entries) e.res.errorCode = errorCode('COORDINATOR_NOT_AVAILABLE')
      return response
    }
    const known = entries.filter((e) => {
      if (this.store.partition(e.topic, e.res.partitionIndex)) return true
      e.res.errorCode = errorCode('UNKNOWN_TOPIC_OR_PARTITION')
      return false
    })
    if (known.length === 0) return response
    const error = this.validateTxnOffsetCommit(req, version)
    if (error) {
      for (const e of known) e.res.errorCode = errorCode(error)
      return response
    }
    const now = this.clock.now()
    const changes: OffsetChange[] = []
    const written: TxnOffsetCommitResponsePartition[] = []
    for (const e of known) {
      const metadata = e.metadata ?? ''
      if (metadata.length > MAX_OFFSET_METADATA_LENGTH) {
        e.res.errorCode = errorCode('OFFSET_METADATA_TOO_LARGE')
        continue
      }
      changes.push({
        group: req.groupId,
        topic: e.topic,
        partition: e.res.partitionIndex,
        value: { offset: e.offset, leaderEpoch: e.leaderEpoch, metadata, commitTimestamp: now },
      })
      written.push(e.res)
    }
    try {
      await this.offsets.writeTxn(changes, req.producerId, req.producerEpoch, now)
    } catch (e) {
      log.warn(
        { group: req.groupId, producerId: req.producerId, err: e },
        'transactional offset commit failed',
      )
      const code = errorCode(storageError(e))
      for (const res of written) res.errorCode = code
    }
    return response
  }

  /**
   * Kafka's checks for transactional commits: a group is created by its first one; v3+ requests
   * from a consumer group member must name a current member and generation.
   */
  private validateTxnOffsetCommit(req: TxnOffsetCommitRequest, version: number): KafkaErrorName | null {
    if (req.groupId === '') return 'INVALID_GROUP_ID'
    const memberId = version >= 3 ? req.memberId : ''
    const generationId = version >= 3 ? req.generationId : -1
    const groupInstanceId = version >= 3 ? req.groupInstanceId : null
    const identified = generationId >= 0 || memberId !== '' || groupInstanceId !== null
    let group = this.groups.get(req.groupId)
    if (!group) {
      if (identified) return 'UNKNOWN_MEMBER_ID'
      group = new Group(req.groupId)
      this.groups.set(req.groupId, group)
    }
    if (group.is('Dead')) return 'COORDINATOR_NOT_AVAILABLE'
    if (identified) {
      const error = validateCurrentMember(group, memberId, groupInstanceId)
      if (error) return error
      if (generationId !== group.generationId) return 'ILLEGAL_GENERATION'
    }
    return null
  }

  /**
   * Writes a transaction's marker to the offsets partition and commits or drops the producer's
   * transactional offsets (called by the transaction coordinator when the transaction ends).
   */
  async completeTxnOffsets(partition: number, marker: OffsetsTxnMarker): Promise<void> {
    if (partition !== 0) return
    await this.offsets.completeTxn(marker)
    // Groups that only have transactional offsets exist as Empty once those are committed.
    for (const id of this.offsets.knownGroups()) if (!this.groups.has(id)) this.groups.set(id, new Group(id))
  }

  // ----- OffsetFetch

  async offsetFetch(req: OffsetFetchRequest, version: number): Promise<OffsetFetchResponse> {
    if (version >= 8) {
      return {
        throttleTimeMs: 0,
        topics: [],
        errorCode: 0,
        groups: req.groups.map((g) => {
          const r = this.fetchOffsets(g.groupId, g.topics, req.requireStable)
          return { groupId: g.groupId, topics: r.errorCode === NONE ? r.topics : [], errorCode: r.errorCode }
        }),
      }
    }
    const r = this.fetchOffsets(req.groupId, req.topics, req.requireStable)
    const topics = r.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        ...p,
        committedLeaderEpoch: version >= 5 ? p.committedLeaderEpoch : -1,
        // v0-1 have no group-level error code: each partition carries it.
        errorCode: version < 2 && r.errorCode !== NONE ? r.errorCode : p.errorCode,
      })),
    }))
    if (version >= 2 && r.errorCode !== NONE)
      return { throttleTimeMs: 0, topics: [], errorCode: r.errorCode, groups: [] }
    return { throttleTimeMs: 0, topics, errorCode: version >= 2 ? r.errorCode : 0, groups: [] }
  }

  private fetchOffsets(
    groupId: string,
    topics: readonly { name: string; partitionIndexes: number[] }[] | null,
    requireStable: boolean,
  ): { errorCode: number; topics: FetchedTopic[] } {
    const missing = (partitionIndex: number, code = NONE): FetchedPartition => ({
      partitionIndex,
      committedOffset: -1n,
      committedLeaderEpoch: -1,
      metadata: '',
      errorCode: code,
    })
    if (this.closed) {
      return {
        errorCode: errorCode('COORDINATOR_NOT_AVAILABLE'),
        topics: (topics ?? []).map((t) => ({
          name: t.name,
          partitions: t.partitionIndexes.map((p) => missing(p)),
        })),
      }
    }
    if (topics === null) {
      // Every partition the group has committed, whatever the group's state (simple consumers too).
      const byTopic = new Map<string, FetchedPartition[]>()
      for (const o of this.offsets.groupOffsets(groupId)) {
        let list = byTopic.get(o.topic)
        if (!list) byTopic.set(o.topic, (list = []))
        list.push({
          partitionIndex: o.partition,
          committedOffset: o.offset,
          committedLeaderEpoch: o.leaderEpoch,
          metadata: o.metadata,
          errorCode: NONE,
        })
      }
      return { errorCode: NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) }
    }
    return {
      errorCode: NONE,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => {
          if (requireStable && this.offsets.hasPending(groupId, t.name, p))
            return missing(p, errorCode('UNSTABLE_OFFSET_COMMIT'))
          const o = this.offsets.get(groupId, t.name, p)
          if (!o) return missing(p)
          return {
            partitionIndex: p,
            committedOffset: o.offset,
            committedLeaderEpoch: o.leaderEpoch,
            metadata: o.metadata,
            errorCode: NONE,
          }
        }),
      })),
    }
  }

  // ----- OffsetDelete

  async offsetDelete(req: OffsetDeleteRequest, _version: number): Promise<OffsetDeleteResponse> {
    const fail = (name: KafkaErrorName): OffsetDeleteResponse => ({
      errorCode: errorCode(name),
      throttleTimeMs: 0,
      topics: [],
    })
    if (this.closed) return fail('COORDINATOR_NOT_AVAILABLE')
    const group = this.groups.get(req.groupId)
    if (!group || group.is('Dead')) return fail('GROUP_ID_NOT_FOUND')
    // Offsets of topics an active consumer group subscribes to stay; other groups must be empty.
    const active = !group.is('Empty')
    if (active && !group.isConsumerGroup()) return fail('NON_EMPTY_GROUP')
    const response: OffsetDeleteResponse = {
      errorCode: NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: NONE })),
      })),
    }
    const eligible: { topic: string; res: OffsetDeleteResponsePartition }[] = []
    req.topics.forEach((t, i) => {
      const subscribed = active && group.isSubscribedToTopic(t.name)
      t.partitions.forEach((p, j) => {
        const res = response.topics[i]!.partitions[j]!
        if (!this.store.partition(t.name, p.partitionIndex))
          res.errorCode = errorCode('UNKNOWN_TOPIC_OR_PARTITION')
        else if (subscribed) res.errorCode = errorCode('GROUP_SUBSCRIBED_TO_TOPIC')
        else eligible.push({ topic: t.name, res })
      })
    })
    const wanted = new Set(eligible.map((e) => `${e.res.partitionIndex}:${e.topic}`))
    const tombstones = this.offsets
      .keysOf(req.groupId, (topic, partition) => wanted.has(`${partition}:${topic}`))
      .map((k): OffsetChange => ({ ...k, value: null }))
    try {
      await this.offsets.write(tombstones, this.clock.now())
    } catch (e) {
      log.warn({ group: req.groupId, err: e }, 'offset delete failed')
      const code = errorCode(storageError(e))
      for (const e of eligible) e.res.errorCode = code
    }
    return response
  }

  // ----- DeleteGroups

  async deleteGroups(req: DeleteGroupsRequest, _version: number): Promise<DeleteGroupsResponse> {
    const ids = [...new Set(req.groupsNames)]
    const results = await Promise.all(
      ids.map(async (groupId) => ({ groupId, errorCode: errorCode(await this.deleteGroup(groupId)) })),
    )
    return { throttleTimeMs: 0, results }
  }

  private async deleteGroup(groupId: string): Promise<KafkaErrorName> {
    if (this.closed) return 'COORDINATOR_NOT_AVAILABLE'
    const group = this.groups.get(groupId)
    if (!group || group.is('Dead')) return 'GROUP_ID_NOT_FOUND'
    if (!group.is('Empty')) return 'NON_EMPTY_GROUP'
    // Gone at once, so that a join racing with the tombstones starts a fresh group.
    group.state = 'Dead'
    for (const t of group.pendingMembers.values()) clearTimeout(t)
    group.pendingMembers.clear()
    this.groups.delete(groupId)
    const tombstones = this.offsets.keysOf(groupId).map((k): OffsetChange => ({ ...k, value: null }))
    try {
      await this.offsets.write(tombstones, this.clock.now())
      log.info({ group: groupId, offsets: tombstones.length }, 'group deleted')
      return 'NONE'
    } catch (e) {
      log.warn({ group: groupId, err: e }, 'group delete failed')
      if (!this.groups.has(groupId)) this.groups.set(groupId, new Group(groupId))
      return storageError(e)
    }
  }

  // ----- ListGroups / DescribeGroups

  async listGroups(req: ListGroupsRequest, version: number): Promise<ListGroupsResponse> {
    if (this.closed)
      return { throttleTimeMs: 0, errorCode: errorCode('COORDINATOR_NOT_AVAILABLE'), groups: [] }
    const states = new Set((version >= 4 ? req.statesFilter : []).map((s) => s.toLowerCase()))
    const types = version >= 5 ? req.typesFilter.map((t) => t.toLowerCase()) : []
    // Every group here is a classic group.
    if (types.length > 0 && !types.includes('classic'))
      return { throttleTimeMs: 0, errorCode: NONE, groups: [] }
    const groups = [...this.groups.values()]
      .filter((g) => !g.is('Dead') && (states.size === 0 || states.has(g.state.toLowerCase())))
      .map((g) => ({
        groupId: g.groupId,
        protocolType: g.protocolType ?? '',
        groupState: version >= 4 ? g.state : '',
        groupType: version >= 5 ? 'classic' : '',
      }))
    return { throttleTimeMs: 0, errorCode: NONE, groups }
  }

  async describeGroups(req: DescribeGroupsRequest, version: number): Promise<DescribeGroupsResponse> {
    const operations =
      version >= 3 && req.includeAuthorizedOperations
        ? GROUP_AUTHORIZED_OPERATIONS
        : AUTHORIZED_OPERATIONS_OMITTED
    const groups = req.groups.map((groupId): DescribedGroup => {
      const described: DescribedGroup = {
        errorCode: NONE,
        groupId,
        groupState: 'Dead',
        protocolType: '',
        protocolData: '',
        members: [],
        authorizedOperations: operations,
      }
      if (this.closed)
        return { ...described, errorCode: errorCode('COORDINATOR_NOT_AVAILABLE'), groupState: '' }
      const group = this.groups.get(groupId)
      if (!group) return described
      // Member metadata and assignments are only meaningful, and only shown, once Stable.
      const stable = group.is('Stable')
      const protocol = group.protocolName ?? ''
      return {
        ...described,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: stable ? protocol : '',
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: version >= 4 ? m.groupInstanceId : null,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: stable ? m.metadata(protocol) : EMPTY,
          memberAssignment: stable ? m.assignment : EMPTY,
        })),
      }
    })
    return { throttleTimeMs: 0, groups }
  }

  // ----- topics and lifecycle

  /** Drops committed offsets of a deleted topic. */
  async onTopicDeleted(topic: string): Promise<void> {
    const tombstones: OffsetChange[] = []
    for (const group of this.offsets.knownGroups()) {
      for (const k of this.offsets.keysOf(group, (t) => t === topic)) tombstones.push({ ...k, value: null })
    }
    await this.offsets.write(tombstones, this.clock.now())
  }

  /**
   * Stops every timer, answers parked JoinGroup/SyncGroup requests with NOT_COORDINATOR (clients
   * look for the coordinator again) and waits for offset writes in flight. Close it before the
   * LogStore.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    for (const group of this.groups.values()) {
      this.clearJoinTimer(group)
      this.clearSyncTimer(group)
      for (const t of group.pendingMembers.values()) clearTimeout(t)
      group.pendingMembers.clear()
      for (const m of group.members.values()) {
        this.clearHeartbeat(m)
        this.settleJoin(m, joinError(m.memberId, 'NOT_COORDINATOR'))
        this.settleSync(m, syncError('NOT_COORDINATOR'))
      }
    }
    await this.offsets.drain()
  }
}
