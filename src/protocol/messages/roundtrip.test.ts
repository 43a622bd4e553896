// Every version of every generated message, three ways:
//  1. a populated sample (built from the schema descriptors) survives encode -> decode unchanged;
//  2. the generated straight-line encoder produces exactly the bytes of a small interpretive encoder
//     written here independently from the wire rules, so a layout slip in the generator shows up even
//     where no hand-written fixture exists;
//  3. every strict prefix of a valid encoding, and random corruptions of it, fail with a
//     ProtocolDecodeError (never another exception, never a hang).

import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { FieldSchema, MessageCodec, MessageSchema } from '../codec/api.ts'
import { ProtocolDecodeError } from '../codec/errors.ts'
import { Reader, ZERO_UUID } from '../codec/reader.ts'
import { Writer } from '../codec/writer.ts'
import { consumerProtocolAssignmentCodec } from './consumer-protocol-assignment.ts'
import { consumerProtocolSubscriptionCodec } from './consumer-protocol-subscription.ts'
import { apis } from './index.ts'
import { schemas } from './schemas.ts'

type Obj = Record<string, unknown>
type Variant = 'full' | 'nulls' | 'defaults'

function inRange(range: string | undefined, v: number): boolean {
  if (range === undefined || range === 'none') return false
  const plus = /^(\d+)\+$/.exec(range)
  if (plus) return v >= Number(plus[1])
  const span = /^(\d+)-(\d+)$/.exec(range)
  if (span) return v >= Number(span[1]) && v <= Number(span[2])
  return v === Number(range)
}

const isArray = (f: FieldSchema) => f.type.startsWith('[]')
const elemType = (f: FieldSchema) => (isArray(f) ? f.type.slice(2) : f.type)

// ----- defaults, straight from the schema rules

function defaultOf(f: FieldSchema): unknown {
  if (isArray(f)) return f.default === 'null' ? null : []
  if (f.fields) return structDefault(f.fields)
  const d = f.default
  switch (f.type) {
    case 'bool':
      return d === 'true'
    case 'int64':
      return BigInt(d ?? 0)
    case 'string':
      return d === 'null' ? null : (d ?? '')
    case 'uuid':
      return ZERO_UUID
    case 'bytes':
      return d === 'null' ? null : Buffer.alloc(0)
    case 'records':
      return null
    default:
      return Number(d ?? 0)
  }
}

function structDefault(fields: readonly FieldSchema[]): Obj {
  return Object.fromEntries(fields.map((f) => [f.name, defaultOf(f)]))
}

// ----- samples

let counter = 0
const BIG_RECORDS = Buffer.alloc(3000, 0x5a)

function scalarSample(type: string, f: FieldSchema): unknown {
  const n = ++counter
  switch (type) {
    case 'bool':
      return f.default !== 'true'
    case 'int8':
      return -100 + (n % 50)
    case 'int16':
      return 1000 + n
    case 'uint16':
      return 65000 + (n % 500)
    case 'int32':
      return 100000 + n
    case 'uint32':
      return 4000000000 + n
    case 'int64':
      return 1234567890123n + BigInt(n)
    case 'float64':
      return n + 0.25
    case 'string':
      return `${f.name}-${n}-é€`
    case 'uuid':
      return `0123abcd-0000-4000-8000-${String(n).padStart(12, '0')}`
    case 'bytes':
      return Buffer.from([n & 0xff, 1, 2, 3])
    case 'records':
      return n % 2 === 0 ? BIG_RECORDS : Buffer.from([9, 8, 7, n & 0xff])
  }
  throw new Error(`no sample for ${type}`)
}

function sampleStruct(fields: readonly FieldSchema[], v: number, variant: Variant): Obj {
  const out: Obj = {}
  for (const f of fields) out[f.name] = inRange(f.versions, v) ? sampleField(f, v, variant) : defaultOf(f)
  return out
}

function sampleField(f: FieldSchema, v: number, variant: Variant): unknown {
  const nullable = inRange(f.nullableVersions, v)
  if (variant === 'nulls' && nullable) return null
  if (variant === 'defaults') {
    const d = defaultOf(f)
    if (d !== null || nullable) {
      // A default struct still needs its version-absent fields at their defaults: same thing here.
      return d
    }
  }
  if (isArray(f)) {
    const count = variant === 'full' ? 2 : 1
    const items: unknown[] = []
    for (let i = 0; i < count; i++) {
      items.push(f.fields ? sampleStruct(f.fields, v, variant) : scalarSample(elemType(f), f))
    }
    return items
  }
  if (f.fields) return sampleStruct(f.fields, v, variant)
  const value = scalarSample(f.type, f)
  return value
}

// ----- an interpretive reference encoder

function isDefault(f: FieldSchema, value: unknown): boolean {
  const d = defaultOf(f)
  if (d === null || value === null) return value === d
  if (Array.isArray(d)) return (value as unknown[]).length === 0
  if (Buffer.isBuffer(d)) return (value as Buffer).length === 0
  if (f.fields && !isArray(f)) return f.fields.every((sub) => isDefault(sub, (value as Obj)[sub.name]))
  return value === d
}

function refWriteScalar(w: Writer, type: string, value: unknown, compact: boolean, nullable: boolean): void {
  const lengthPrefix = (len: number | null, kind: 'int16' | 'int32') => {
    if (compact) w.uvarint(len === null ? 0 : len + 1)
    else if (kind === 'int16') w.int16(len === null ? -1 : len)
    else w.int32(len === null ? -1 : len)
  }
  switch (type) {
    case 'bool':
      w.int8(value ? 1 : 0)
      return
    case 'int8':
      w.int8(value as number)
      return
    case 'int16':
      w.int16(value as number)
      return
    case 'uint16':
      w.uint16(value as number)
      return
    case 'int32':
      w.int32(value as number)
      return
    case 'uint32':
      w.uint32(value as number)
      return
    case 'int64':
      w.int64(value as bigint)
      return
    case 'float64':
      w.float64(value as number)
      return
    case 'uuid': {
      const raw = Buffer.from((value as string).replace(/-/g, ''), 'hex')
      for (const b of raw) w.int8(b > 127 ? b - 256 : b)
      return
    }
    case 'string': {
      assert.ok(value !== null || nullable, 'sample put null in a non-nullable string')
      const bytes = value === null ? null : Buffer.from(value as string, 'utf8')
      lengthPrefix(bytes === null ? null : bytes.length, 'int16')
      if (bytes) w.raw(bytes)
      return
    }
    case 'bytes':
    case 'records': {
      assert.ok(value !== null || nullable, 'sample put null in non-nullable bytes')
      const bytes = value as Buffer | null
      lengthPrefix(bytes === null ? null : bytes.length, 'int32')
      if (bytes) w.raw(bytes)
      return
    }
  }
  throw new Error(`reference encoder: unknown type ${type}`)
}

function refWriteField(w: Writer, f: FieldSchema, value: unknown, v: number, flexible: boolean): void {
  const compact = f.flexibleVersions === undefined ? flexible : inRange(f.flexibleVersions, v)
  const nullable = inRange(f.nullableVersions, v)
  if (isArray(f)) {
    const items = value as unknown[] | null
    assert.ok(items !== null || nullable, `sample put null in non-nullable array ${f.name}`)
    if (compact) w.uvarint(items === null ? 0 : items.length + 1)
    else w.int32(items === null ? -1 : items.length)
    for (const item of items ?? []) {
      if (f.fields) refWriteStruct(w, f.fields, item as Obj, v, flexible)
      else refWriteScalar(w, elemType(f), item, compact, false)
    }
  } else if (f.fields) {
    refWriteStruct(w, f.fields, value as Obj, v, flexible)
  } else {
    refWriteScalar(w, f.type, value, compact, nullable)
  }
}

function refWriteStruct(
  w: Writer,
  fields: readonly FieldSchema[],
  value: Obj,
  v: number,
  flexible: boolean,
): void {
  const tagged: FieldSchema[] = []
  for (const f of fields) {
    if (!inRange(f.versions, v)) continue
    if (flexible && inRange(f.taggedVersions, v)) {
      if (!isDefault(f, value[f.name])) tagged.push(f)
      continue
    }
    refWriteField(w, f, value[f.name], v, flexible)
  }
  if (!flexible) return
  tagged.sort((x, y) => x.tag! - y.tag!)
  w.uvarint(tagged.length)
  for (const f of tagged) {
    const scratch = new Writer()
    refWriteField(scratch, f, value[f.name], v, flexible)
    const payload = scratch.toBuffer()
    w.uvarint(f.tag!)
    w.uvarint(payload.length)
    w.raw(payload)
  }
}

// ----- the matrix

const codecs = new Map<string, MessageCodec<unknown>>()
for (const api of apis) {
  codecs.set(api.request.name, api.request)
  codecs.set(api.response.name, api.response)
}
codecs.set(consumerProtocolSubscriptionCodec.name, consumerProtocolSubscriptionCodec as MessageCodec<unknown>)
codecs.set(consumerProtocolAssignmentCodec.name, consumerProtocolAssignmentCodec as MessageCodec<unknown>)

function versionsOf(s: MessageSchema): number[] {
  const [lo, hi] = s.validVersions.split('-').map(Number)
  const out: number[] = []
  for (let v = lo!; v <= (hi ?? lo!); v++) out.push(v)
  return out
}

function encode(codec: MessageCodec<unknown>, value: unknown, v: number): Buffer {
  const w = new Writer()
  codec.encode(w, value, v)
  return w.toBuffer()
}

/** Small deterministic PRNG so fuzz failures reproduce. */
function prng(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

let versionsChecked = 0

describe('every version of every message', () => {
  test('descriptors and codecs cover the same messages', () => {
    assert.deepEqual([...codecs.keys()].sort(), schemas.map((s) => s.name).sort())
    assert.equal(schemas.length, 70)
  })

  for (const schema of schemas) {
    const codec = codecs.get(schema.name)!
    test(`${schema.name} v${schema.validVersions}`, () => {
      for (const v of versionsOf(schema)) {
        const flexible = inRange(schema.flexibleVersions, v)
        for (const variant of ['full', 'nulls', 'defaults'] as const) {
          const sample = sampleStruct(schema.fields, v, variant)
          const bytes = encode(codec, sample, v)
          const ref = new Writer()
          refWriteStruct(ref, schema.fields, sample, v, flexible)
          assert.equal(
            bytes.toString('hex'),
            ref.toBuffer().toString('hex'),
            `${schema.name} v${v} (${variant}): generated encoder differs from the reference`,
          )
          const r = new Reader(bytes)
          assert.deepEqual(codec.decode(r, v), sample, `${schema.name} v${v} (${variant}) round trip`)
          assert.equal(r.remaining, 0)
        }
        versionsChecked++
      }
    })
  }

  test('truncation anywhere throws a ProtocolDecodeError naming a field', () => {
    let prefixes = 0
    for (const schema of schemas) {
      const codec = codecs.get(schema.name)!
      for (const v of versionsOf(schema)) {
        const bytes = encode(codec, sampleStruct(schema.fields, v, 'full'), v)
        // Records and bytes samples can be long; every length up to 400 plus a stride beyond.
        for (let len = 0; len < bytes.length; len += len < 400 ? 1 : 97) {
          const err = captureError(() => codec.decode(new Reader(bytes.subarray(0, len)), v))
          assert.ok(err instanceof ProtocolDecodeError, `${schema.name} v${v} cut at ${len}: ${String(err)}`)
          assert.ok(err instanceof RangeError)
          assert.match(err.message, /^cannot decode \w+\.\w+ at offset \d+: /)
          prefixes++
        }
      }
    }
    assert.ok(prefixes > 10000, `only ${prefixes} prefixes checked`)
  })

  test('random corruption either decodes or throws ProtocolDecodeError', () => {
    const random = prng(42)
    for (const schema of schemas) {
      const codec = codecs.get(schema.name)!
      for (const v of versionsOf(schema)) {
        const good = encode(codec, sampleStruct(schema.fields, v, 'nulls'), v)
        if (good.length === 0) continue
        for (let round = 0; round < 30; round++) {
          const bad = Buffer.from(good)
          const flips = 1 + Math.floor(random() * 3)
          for (let i = 0; i < flips; i++) bad[Math.floor(random() * bad.length)] = Math.floor(random() * 256)
          const err = captureError(() => codec.decode(new Reader(bad), v))
          if (err !== undefined) {
            assert.ok(err instanceof ProtocolDecodeError, `${schema.name} v${v}: ${String(err)}`)
          }
        }
      }
    }
  })

  test('coverage', () => {
    assert.ok(versionsChecked >= 300, `checked ${versionsChecked} message versions`)
  })
})

function captureError(fn: () => unknown): unknown {
  try {
    fn()
    return undefined
  } catch (err) {
    return err
  }
}
