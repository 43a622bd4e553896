// The in-memory state of one classic consumer group: members, generation, chosen protocol, and the
// parked JoinGroup/SyncGroup requests. It mirrors Kafka's GroupMetadata/MemberMetadata so the
// coordinator can follow Kafka's GroupCoordinator step by step; timers and responses live in the
// coordinator, this file only holds state and the pure rules (protocol choice, subscriptions).
import { parseConsumerProtocolSubscription } from '../../protocol/messages/consumer-protocol-subscription.ts'

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export const CONSUMER_PROTOCOL_TYPE = 'consumer'

export interface Protocol {
  name: string
  metadata: Buffer
}

/** What a parked JoinGroup is answered with; the coordinator shapes it per request version. */
export interface JoinResult {
  errorCode: number
  memberId: string
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  skipAssignment: boolean
  members: { memberId: string; groupInstanceId: string | null; metadata: Buffer }[]
}

export interface SyncResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Buffer
}

export class Member {
  memberId: string
  readonly groupInstanceId: string | null
  readonly clientId: string
  readonly clientHost: string
  readonly protocolType: string
  rebalanceTimeoutMs: number
  sessionTimeoutMs: number
  protocols: Protocol[]
  assignment: Buffer = Buffer.alloc(0)
  /** Set while a JoinGroup from this member is parked. */
  joinWaiter: ((r: JoinResult) => void) | null = null
  /** Set while a SyncGroup from this member is parked. */
  syncWaiter: ((r: SyncResult) => void) | null = null
  /** Joined but not yet through a completed join; such members expire even while parked. */
  isNew = false
  heartbeatTimer: NodeJS.Timeout | null = null

  constructor(init: {
    memberId: string
    groupInstanceId: string | null
    clientId: string
    clientHost: string
    protocolType: string
    rebalanceTimeoutMs: number
    sessionTimeoutMs: number
    protocols: Protocol[]
  }) {
    this.memberId = init.memberId
    this.groupInstanceId = init.groupInstanceId
    this.clientId = init.clientId
    this.clientHost = init.clientHost
    this.protocolType = init.protocolType
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs
    this.sessionTimeoutMs = init.sessionTimeoutMs
    this.protocols = init.protocols
  }

  metadata(protocolName: string): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? Buffer.alloc(0)
  }

  /** Same protocols, in the same order, with the same metadata bytes. */
  matches(protocols: readonly Protocol[]): boolean {
    return (
      protocols.length === this.protocols.length &&
      protocols.every(
        (p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata),
      )
    )
  }

  /** This member's most preferred protocol among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name))
    if (!choice) throw new Error(`member ${this.memberId} supports none of the candidate protocols`)
    return choice.name
  }
}

export class Group {
  readonly groupId: string
  state: GroupState = 'Empty'
  generationId = 0
  protocolType: string | null = null
  protocolName: string | null = null
  leaderId: string | null = null
  /** In join order; the first member becomes leader. */
  readonly members = new Map<string, Member>()
  /** groupInstanceId → memberId. */
  readonly staticMembers = new Map<string, string>()
  /** Member ids handed out with MEMBER_ID_REQUIRED that have not joined yet, with their expiry. */
  readonly pendingMembers = new Map<string, NodeJS.Timeout>()
  /** Members of the current generation that have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>()
  /** Set when a member joins during the initial (delayed) rebalance, extending the delay. */
  newMemberAdded = false
  /** The running join phase of a rebalance, if any. */
  joinTimer: NodeJS.Timeout | null = null
  /** True while that phase is the initial delay, which waits out its timer even if all joined. */
  joinIsInitialDelay = false
  syncTimer: NodeJS.Timeout | null = null
  /** Topics the members subscribe to (consumer protocol); null when unknown. */
  subscribedTopics: Set<string> | null = null

  constructor(groupId: string) {
    this.groupId = groupId
  }

  is(state: GroupState): boolean {
    return this.state === state
  }

  /** Whether a rebalance may start from the current state. */
  canRebalance(): boolean {
    return this.state === 'Stable' || this.state === 'CompletingRebalance' || this.state === 'Empty'
  }

  get rebalanceTimeoutMs(): number {
    let max = 0
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs)
    return max
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId
  }

  isConsumerGroup(): boolean {
    return this.protocolType === CONSUMER_PROTOCOL_TYPE
  }

  /** Protocols every current member supports. */
  private candidateProtocols(): Set<string> {
    let common: string[] | null = null
    for (const m of this.members.values()) {
      const names = m.protocols.map((p) => p.name)
      common = common === null ? names : common.filter((n) => names.includes(n))
    }
    return new Set(common ?? [])
  }

  /** Whether a member with this protocol type and these protocols may join. */
  supportsProtocols(protocolType: string, protocols: readonly Protocol[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocols.length > 0
    const candidates = this.candidateProtocols()
    return this.protocolType === protocolType && protocols.some((p) => candidates.has(p.name))
  }

  /**
   * Kafka's choice: among the protocols all members support, each member votes for its most
   * preferred one and the most votes win; a tie goes to the leader's preference order.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols()
    const votes = new Map<string, number>()
    for (const m of this.members.values()) {
      const v = m.vote(candidates)
      votes.set(v, (votes.get(v) ?? 0) + 1)
    }
    const most = Math.max(...votes.values())
    const leader = (this.leaderId && this.members.get(this.leaderId)) || this.members.values().next().value!
    const tied = leader.protocols.map((p) => p.name).filter((n) => votes.get(n) === most)
    return tied[0] ?? [...votes.entries()].find(([, n]) => n === most)![0]
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType
    this.members.set(member.memberId, member)
    if (this.leaderId === null) this.leaderId = member.memberId
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId)
  }

  remove(memberId: string): Member | undefined {
    const member = this.members.get(memberId)
    if (member) {
      this.members.delete(memberId)
      if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId)
        this.staticMembers.delete(member.groupInstanceId)
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys().next().value ?? null
    this.pendingSyncMembers.delete(memberId)
    return member
  }

  /** Moves a static member to a new member id, keeping its place, leadership and assignment. */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): Member {
    const member = this.members.get(oldMemberId)!
    const entries = [...this.members.entries()]
    this.members.clear()
    for (const [id, m] of entries) this.members.set(id === oldMemberId ? newMemberId : id, m)
    member.memberId = newMemberId
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId
    this.staticMembers.set(groupInstanceId, newMemberId)
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId)
    return member
  }

  /** Whether every member has a parked JoinGroup and no MEMBER_ID_REQUIRED id is outstanding. */
  hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.joinWaiter === null) return false
    return this.pendingMembers.size === 0
  }

  /** Keeps the leader if it rejoined, else hands leadership to any member that did. */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false
    if (this.members.get(this.leaderId)?.joinWaiter) return true
    for (const m of this.members.values()) {
      if (m.joinWaiter) {
        this.leaderId = m.memberId
        return true
      }
    }
    return false
  }

  /** Metadata of every member for the selected protocol, as the leader's JoinGroup response lists it. */
  currentMemberMetadata(): JoinResult['members'] {
    const protocol = this.protocolName ?? ''
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata(protocol),
    }))
  }

  initNextGeneration(): void {
    this.generationId++
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol()
      this.state = 'CompletingRebalance'
    } else {
      this.protocolName = null
      this.state = 'Empty'
    }
    this.subscribedTopics = this.computeSubscribedTopics()
    this.pendingSyncMembers.clear()
  }

  private computeSubscribedTopics(): Set<string> | null {
    if (!this.isConsumerGroup()) return null
    if (this.members.size === 0) return new Set()
    if (this.protocolName === null) return null
    const topics = new Set<string>()
    for (const m of this.members.values()) {
      const subscribed = subscribedTopicsOf(m.metadata(this.protocolName))
      if (subscribed === null) return null
      for (const t of subscribed) topics.add(t)
    }
    return topics
  }

  /** True when unknown (unparseable subscriptions), to be safe, as Kafka does. */
  isSubscribedToTopic(topic: string): boolean {
    return this.subscribedTopics === null || this.subscribedTopics.has(topic)
  }
}

/** The topics in a consumer-protocol subscription, or null if it does not parse. */
export function subscribedTopicsOf(metadata: Buffer): string[] | null {
  try {
    return parseConsumerProtocolSubscription(metadata).value.topics
  } catch {
    return null
  }
}
