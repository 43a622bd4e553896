// Keys index Maps (state, timers) and feed the partitioning hash, so each key needs one canonical
// string: equal keys (by value, not identity: two Buffers with the same bytes, [1, 'a'] built twice)
// must give the same string, and different keys different strings. Strings and finite numbers take
// a fast path; everything else goes through the snapshot encoding, which is already unambiguous.
import { RiffleError } from '../../core/errors.ts'
import type { Key } from '../model/record.ts'
import { toPlain } from './plain.ts'

/** The id of "no key" (non-keyed streams): distinct from every real key's id. */
const NO_KEY = '~'

export function keyId(key: Key | undefined): string {
  if (key === undefined) return NO_KEY
  if (typeof key === 'string') return `s${key}`
  if (typeof key === 'number') {
    if (Number.isNaN(key)) throw new RiffleError('INVALID_ARGUMENT', 'NaN cannot be a key')
    return `n${key === 0 ? 0 : key}`
  }
  return `j${JSON.stringify(toPlain(key))}`
}
