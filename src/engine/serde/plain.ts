// Snapshots must survive JSON (to disk, to another worker thread, to another version of the
// process), but state holds ordinary JavaScript values: bigints, Buffers, Maps, ±Infinity. This
// module is the one reversible mapping between the two. Special values become tagged objects
// `{ $t: <type>, v: <payload> }`; a plain object that itself has a `$t` property is wrapped as
// `{ $t: 'obj', v: … }`, so decoding is never ambiguous. Anything else (functions, class
// instances) is refused loudly rather than silently losing data.
import { RiffleError } from '../../core/errors.ts'

/** JSON-compatible data. */
export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain }

function tagged(t: string, v?: Plain): Plain {
  return v === undefined ? { $t: t } : { $t: t, v }
}

export function toPlain(value: unknown): Plain {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? tagged('num', '-0') : value
      return tagged('num', String(value))
    case 'bigint':
      return tagged('bigint', value.toString())
    case 'undefined':
      return tagged('undef')
    case 'object': {
      if (value === null) return null
      if (Array.isArray(value)) return value.map(toPlain)
      if (Buffer.isBuffer(value)) return tagged('bytes', value.toString('base64'))
      if (value instanceof Uint8Array)
        return tagged('u8', Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'))
      if (value instanceof Date) return tagged('date', toPlain(value.getTime()))
      if (value instanceof Map)
        return tagged(
          'map',
          [...value].map(([k, v]) => [toPlain(k), toPlain(v)]),
        )
      if (value instanceof Set) return tagged('set', [...value].map(toPlain))
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null)
        throw new RiffleError(
          'INVALID_ARGUMENT',
          `cannot snapshot an instance of ${proto?.constructor?.name ?? 'unknown'}: state must be plain data`,
        )
      const out: { [key: string]: Plain } = {}
      for (const [k, v] of Object.entries(value)) out[k] = toPlain(v)
      return Object.hasOwn(value, '$t') ? tagged('obj', out) : out
    }
    default:
      throw new RiffleError('INVALID_ARGUMENT', `cannot snapshot a ${typeof value}: state must be plain data`)
  }
}

export function fromPlain(plain: Plain): unknown {
  if (plain === null || typeof plain !== 'object') return plain
  if (Array.isArray(plain)) return plain.map(fromPlain)
  if (!Object.hasOwn(plain, '$t')) {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(plain)) out[k] = fromPlain(v)
    return out
  }
  const v = plain.v as Plain
  switch (plain.$t) {
    case 'num':
      return v === '-0' ? -0 : Number(v)
    case 'bigint':
      return BigInt(v as string)
    case 'undef':
      return undefined
    case 'bytes':
      return Buffer.from(v as string, 'base64')
    case 'u8':
      return new Uint8Array(Buffer.from(v as string, 'base64'))
    case 'date':
      return new Date(fromPlain(v) as number)
    case 'map':
      return new Map((v as Plain[][]).map(([k, x]) => [fromPlain(k!), fromPlain(x!)]))
    case 'set':
      return new Set((v as Plain[]).map(fromPlain))
    case 'obj': {
      const out: Record<string, unknown> = {}
      for (const [k, x] of Object.entries(v as { [key: string]: Plain })) out[k] = fromPlain(x)
      return out
    }
    default:
      throw new RiffleError('INVALID_ARGUMENT', `unknown snapshot value type '${String(plain.$t)}'`)
  }
}

/** toPlain then JSON text then back: what a snapshot looks like after a trip to disk. */
export function roundTrip<T extends Plain>(plain: T): T {
  return JSON.parse(JSON.stringify(plain)) as T
}
