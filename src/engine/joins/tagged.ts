// Two-input operators receive left records on input 0 and right records on input 1. Where one
// stream has to carry both (window join contents, the late side output of joins), values are tagged.
export type JoinSide = 'left' | 'right'

export interface Tagged<T = unknown> {
  side: JoinSide
  value: T
}

export function sideOf(input: number): JoinSide {
  return input === 0 ? 'left' : 'right'
}
