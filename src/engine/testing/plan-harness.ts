// The plan-level counterpart of OperatorHarness: runs a whole plan in one LocalGraph with a virtual
// clock, feeding sources by partition, and logs what leaves the graph (terminal nodes' records and
// watermarks, unconsumed side outputs) tagged with the node it came from.
import type { Key, StreamRecord } from '../model/record.ts'
import { LocalGraph } from '../plan/local-graph.ts'
import type { Plan } from '../plan/plan.ts'
import { type Plain, roundTrip } from '../serde/plain.ts'
import { record } from './operator-harness.ts'
import { VirtualClock } from './virtual-clock.ts'

export type PlanEvent =
  | { kind: 'record'; node: string; tag?: string; record: StreamRecord }
  | { kind: 'watermark'; node: string; watermark: number }
  | { kind: 'idle'; node: string }

export interface PlanSnapshot {
  processingTime: number
  graph: Plain
}

export class PlanHarness {
  readonly clock: VirtualClock
  readonly graph: LocalGraph
  private readonly log: PlanEvent[] = []
  private taken = 0

  constructor(plan: Plan, options: { processingTime?: number } = {}) {
    this.clock = new VirtualClock(options.processingTime ?? 0)
    this.graph = new LocalGraph(plan, {
      clock: this.clock,
      sink: (out) => {
        if (out.kind !== 'records') this.log.push(out)
        else
          for (const r of out.records)
            this.log.push(
              out.tag === undefined
                ? { kind: 'record', node: out.node, record: r }
                : { kind: 'record', node: out.node, tag: out.tag, record: r },
            )
      },
    })
  }

  push(source: string, records: readonly StreamRecord[], partition = 0): this {
    this.graph.push(source, records, partition)
    return this
  }

  element(source: string, value: unknown, timestamp: number, partition = 0, key?: Key): this {
    return this.push(source, [record(value, timestamp, key)], partition)
  }

  watermark(source: string, watermark: number, partition?: number): this {
    this.graph.watermark(source, watermark, partition)
    return this
  }

  idle(source: string, partition: number): this {
    this.graph.markIdle(source, partition)
    return this
  }

  setProcessingTime(time: number): this {
    this.clock.set(time)
    this.graph.advanceProcessingTime()
    return this
  }

  finish(): this {
    this.graph.finish()
    return this
  }

  get events(): readonly PlanEvent[] {
    return this.log
  }

  take(): PlanEvent[] {
    const out = this.log.slice(this.taken)
    this.taken = this.log.length
    return out
  }

  /** Records that left `node` on its main output (or on side output `tag`). */
  records(node: string, tag?: string): StreamRecord[] {
    return this.log.flatMap((e) =>
      e.kind === 'record' && e.node === node && e.tag === tag ? [e.record] : [],
    )
  }

  values(node: string, tag?: string): unknown[] {
    return this.records(node, tag).map((r) => r.value)
  }

  watermarks(node: string): number[] {
    return this.log.flatMap((e) => (e.kind === 'watermark' && e.node === node ? [e.watermark] : []))
  }

  snapshot(): PlanSnapshot {
    return roundTrip({ processingTime: this.clock.now(), graph: this.graph.snapshot() })
  }

  restore(snapshot: PlanSnapshot): this {
    this.clock.set(snapshot.processingTime)
    this.graph.restore(snapshot.graph)
    return this
  }
}
