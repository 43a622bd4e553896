// Window join (Flink's join().where().equalTo().window()): both inputs are windowed with the same
// assigner and trigger, and when a window of a key fires, every left element of it is paired with
// every right element. Built, as in Flink, as a window operator over one stream of { side, value }:
// lateness, triggers, merging and checkpoints are the window operator's, not re-implemented here.
// Late elements reach the late side output as { side, value }.
import type { Key, StreamRecord } from '../model/record.ts'
import type { Operator, OperatorContext } from '../operator/operator.ts'
import type { Timer } from '../timers/timer-service.ts'
import type { AssignerSpec } from '../windowing/assigners/spec.ts'
import type { WindowContext } from '../windowing/functions.ts'
import type { TriggerSpec } from '../windowing/triggers/spec.ts'
import { WindowOperator } from '../windowing/window-operator.ts'
import type { Window } from '../windowing/window.ts'
import { type Tagged, sideOf } from './tagged.ts'

export interface WindowJoinInfo {
  readonly key: Key | undefined
  readonly window: Window
}

export interface WindowJoinConfig<L = unknown, R = unknown, O = unknown> {
  assigner: AssignerSpec
  trigger?: TriggerSpec
  allowedLateness?: number
  lateTag?: string
  join(left: L, right: R, info: WindowJoinInfo): O
}

export class WindowJoinOperator implements Operator {
  private readonly windows: WindowOperator<Tagged>

  constructor(config: WindowJoinConfig) {
    const join = (elements: readonly unknown[], ctx: WindowContext) => {
      const left: unknown[] = []
      const right: unknown[] = []
      for (const e of elements as Tagged[]) (e.side === 'left' ? left : right).push(e.value)
      const info: WindowJoinInfo = { key: ctx.key, window: ctx.window }
      for (const l of left) for (const r of right) ctx.emit(config.join(l, r, info))
    }
    this.windows = new WindowOperator<Tagged>({
      assigner: config.assigner,
      trigger: config.trigger,
      allowedLateness: config.allowedLateness,
      lateTag: config.lateTag,
      process: join,
    })
  }

  processBatch(batch: readonly StreamRecord[], ctx: OperatorContext): void {
    const side = sideOf(ctx.input)
    this.windows.processBatch(
      batch.map((r) => ({ ...r, value: { side, value: r.value } })),
      ctx,
    )
  }

  onTimer(timer: Timer, ctx: OperatorContext): void {
    this.windows.onTimer(timer, ctx)
  }
}
