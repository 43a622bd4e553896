// The global window: every element of a key in one window that never ends by time, so it fires
// only by a trigger such as count(n). Its default trigger never fires.
import type { TriggerSpec } from '../triggers/spec.ts'
import { GLOBAL_WINDOW, type Window } from '../window.ts'
import type { WindowAssigner } from './assigner.ts'

export class GlobalAssigner implements WindowAssigner {
  readonly eventTime = true
  readonly merging = false

  assign(): Window[] {
    return [GLOBAL_WINDOW]
  }

  mergeWindows(): { result: Window; merged: Window[] }[] {
    return []
  }

  defaultTrigger(): TriggerSpec {
    return { kind: 'never' }
  }
}
