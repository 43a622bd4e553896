// Serdes of values and keys, bad input as typed errors, and the file source's line handling
// (blank lines, a last line without a newline, following a growing file).
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { tempDir } from '../../../test/helpers/tmp.ts'
import { FileSourceReader } from './file-source.ts'
import { RecordFormatError, decodeValue, encodeKey, encodeValue, lineOf } from './formats.ts'

test('values decode per format; bad bytes are RecordFormatErrors saying where they came from', () => {
  assert.deepEqual(decodeValue('json', Buffer.from('{"a":[1,"x"]}'), 't/0@1'), { a: [1, 'x'] })
  assert.equal(decodeValue('string', Buffer.from('héllo'), 't/0@1'), 'héllo')
  assert.deepEqual(decodeValue('bytes', Buffer.from([1, 2]), 't/0@1'), Buffer.from([1, 2]))
  for (const f of ['json', 'string', 'bytes'] as const) assert.equal(decodeValue(f, null, 'x'), null)
  assert.throws(
    () => decodeValue('json', Buffer.from('{'), 't/0@7'),
    (e) =>
      e instanceof RecordFormatError &&
      e.code === 'INVALID_RECORD' &&
      e.origin === 't/0@7' &&
      /^t\/0@7: not json: /.test(e.message),
  )
  assert.throws(
    () => decodeValue('string', Buffer.from([0xc3]), 't/1@2'),
    (e) => e instanceof RecordFormatError && e.message === 't/1@2: not string: invalid UTF-8',
  )
})

test('values and keys encode per format', () => {
  assert.equal(
    encodeValue('json', { n: 12345678901234567890n, b: Buffer.from('hi') })?.toString(),
    '{"n":12345678901234567890,"b":"aGk="}',
  )
  assert.equal(encodeValue('json', 'text')?.toString(), '"text"')
  assert.equal(encodeValue('string', 42)?.toString(), '42')
  assert.throws(
    () => encodeValue('string', { a: 1 }),
    /^RiffleError: cannot write a value of type object as string: map it to a string first, or use format 'json'$/,
  )
  assert.deepEqual(encodeValue('bytes', new Uint8Array([7, 8])), Buffer.from([7, 8]))
  assert.equal(encodeValue('json', undefined), null)
  assert.equal(encodeKey('auto', 'page')?.toString(), 'page')
  assert.equal(encodeKey('auto', 7)?.toString(), '7')
  assert.equal(encodeKey('auto', ['a', 1])?.toString(), '["a",1]')
  assert.deepEqual(encodeKey('auto', Buffer.from([1])), Buffer.from([1]))
  assert.equal(encodeKey('json', 'page')?.toString(), '"page"')
  assert.equal(encodeKey('auto', undefined), null)
  assert.equal(lineOf('string', 'two\nlines'), 'two lines')
  assert.equal(lineOf('json', { a: 1 }), '{"a":1}')
})

test('the file source reads whole lines, and follows a file that grows', async (t) => {
  const dir = tempDir(t)
  const file = path.join(dir, 'in.jsonl')
  fs.writeFileSync(file, '{"n":1}\n\n{"n":2}\r\nbad\n{"n":3}')
  const clock = { now: () => 5 }
  const bounded = new FileSourceReader({ kind: 'file', path: file, format: 'json', follow: false }, clock)
  const first = await bounded.poll(2)
  assert.deepEqual(first?.records, [
    { value: { n: 1 }, timestamp: 5 },
    { value: { n: 2 }, timestamp: 5 },
  ])
  const second = await bounded.poll(10)
  assert.deepEqual(second?.records, [{ value: { n: 3 }, timestamp: 5 }], 'the last line needs no newline')
  assert.deepEqual(
    second?.bad.map((b) => [b.offset, b.value?.toString(), b.error.origin]),
    [[4, 'bad', `${file}:4`]],
  )
  assert.equal(await bounded.poll(10), null)
  assert.equal(bounded.finished, true)

  const follow = new FileSourceReader({ kind: 'file', path: file, format: 'string', follow: true }, clock)
  const lines = async () => (await follow.poll(100))?.records.map((r) => r.value) ?? []
  assert.deepEqual(await lines(), ['{"n":1}', '{"n":2}', 'bad'], 'a partial last line waits while following')
  fs.appendFileSync(file, '\nmore')
  assert.deepEqual(await lines(), ['{"n":3}'])
  const restored = new FileSourceReader({ kind: 'file', path: file, format: 'string', follow: true }, clock)
  restored.restore(follow.position())
  fs.appendFileSync(file, '\n')
  assert.deepEqual(
    (await restored.poll(100))?.records.map((r) => r.value),
    ['more'],
  )
  assert.equal(follow.finished, false)
})
