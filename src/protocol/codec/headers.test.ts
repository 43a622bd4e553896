import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  type RequestHeader,
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  requestHeaderVersion,
  responseHeaderVersion,
} from './headers.ts'
import { Reader } from './reader.ts'
import { Writer } from './writer.ts'

const header: RequestHeader = { requestApiKey: 3, requestApiVersion: 9, correlationId: 42, clientId: 'cli' }

function encode(fn: (w: Writer) => void): string {
  const w = new Writer()
  fn(w)
  return w.toBuffer().toString('hex')
}

describe('request header', () => {
  const cases: [number, string, RequestHeader][] = [
    [0, '0003 0009 0000002a', { ...header, clientId: null }],
    [1, '0003 0009 0000002a 0003 636c69', header],
    // v2: the client id keeps its int16 length; only a tagged-field section is added.
    [2, '0003 0009 0000002a 0003 636c69 00', header],
    [2, '0003 0009 0000002a ffff 00', { ...header, clientId: null }],
  ]
  for (const [version, hex, value] of cases) {
    test(`v${version} ${value.clientId === null ? 'null client id' : ''}`, () => {
      const bytes = hex.replace(/\s/g, '')
      assert.equal(
        encode((w) => encodeRequestHeader(w, value, version)),
        bytes,
      )
      const r = new Reader(Buffer.from(bytes, 'hex'))
      assert.deepEqual(decodeRequestHeader(r, version), value)
      assert.equal(r.remaining, 0)
    })
  }

  test('v2 skips unknown tagged fields', () => {
    const r = new Reader(Buffer.from('00030009 0000002a ffff 01 05 02 aabb 77'.replace(/\s/g, ''), 'hex'))
    assert.deepEqual(decodeRequestHeader(r, 2), { ...header, clientId: null })
    assert.equal(r.int8('body'), 0x77)
  })
})

describe('response header', () => {
  test('v0 is the correlation id alone; v1 adds tagged fields', () => {
    assert.equal(
      encode((w) => encodeResponseHeader(w, 42, 0)),
      '0000002a',
    )
    assert.equal(
      encode((w) => encodeResponseHeader(w, 42, 1)),
      '0000002a00',
    )
    assert.deepEqual(decodeResponseHeader(new Reader(Buffer.from('0000002a00', 'hex')), 1), {
      correlationId: 42,
    })
  })
})

describe('header versions', () => {
  test('requests: 2 when flexible, 1 otherwise, 0 only for ControlledShutdown v0', () => {
    assert.equal(requestHeaderVersion(3, 9, true), 2)
    assert.equal(requestHeaderVersion(3, 8, false), 1)
    assert.equal(requestHeaderVersion(18, 3, true), 2)
    assert.equal(requestHeaderVersion(7, 0, false), 0)
    assert.equal(requestHeaderVersion(7, 1, false), 1)
  })

  test('responses: 1 when flexible, except ApiVersions which is always 0', () => {
    assert.equal(responseHeaderVersion(3, true), 1)
    assert.equal(responseHeaderVersion(3, false), 0)
    assert.equal(responseHeaderVersion(18, true), 0)
  })
})
