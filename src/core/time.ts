// Durations as users write them ('10s', '5m', 250) and a clock that tests can replace.
import { RiffleError } from './errors.ts'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Parses '250ms', '10s', '5m', '1h', '7d' or a plain number of milliseconds. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0)
      throw new RiffleError('INVALID_ARGUMENT', `invalid duration: ${input}`)
    return input
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(input)
  if (!m)
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `invalid duration '${input}': use a number with ms, s, m, h or d`,
    )
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!)
}

export interface Clock {
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }
