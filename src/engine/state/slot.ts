// The Map key under which state and timers file a user key. keyId (serde/key.ts) gives every key a
// canonical string, but building that string per record is a large part of the keyed hot path.
// A JS Map already compares numbers, strings, booleans and bigints by value (SameValueZero, so
// -0 and 0 are one key, as keyId has it) and keeps them apart across types, so those are used as
// they are. Only keys without value equality in a Map (bytes, composite arrays) go through keyId,
// prefixed with \x01; a string that itself starts with \x01 gets \x01s in front, so no string can
// collide with a canonicalised key.
import { RiffleError } from '../../core/errors.ts'
import type { Key } from '../model/record.ts'
import { keyId } from '../serde/key.ts'

export type Slot = string | number | boolean | bigint | undefined

const ESCAPE = 1

export function slotOf(key: Key | undefined): Slot {
  switch (typeof key) {
    case 'number':
      if (Number.isNaN(key)) throw new RiffleError('INVALID_ARGUMENT', 'NaN cannot be a key')
      return key
    case 'string':
      return key.charCodeAt(0) === ESCAPE ? `\x01s${key}` : key
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return key
    default:
      return `\x01${keyId(key)}`
  }
}
