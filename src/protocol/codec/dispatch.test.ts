import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { FetchResponse } from '../messages/fetch.ts'
import { ApiKey, apiByKey, apis } from '../messages/index.ts'
import {
  UnsupportedRequestError,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
} from './dispatch.ts'
import { ProtocolDecodeError, UnsupportedVersionError } from './errors.ts'
import { FrameSplitter } from './frame-splitter.ts'
import { ZERO_UUID } from './reader.ts'

const frameOf = (chunks: Buffer[]) => Buffer.concat(chunks).subarray(4)

describe('decodeRequest', () => {
  test('narrows the body by api key', () => {
    const frame = frameOf(
      encodeRequest(
        ApiKey.Heartbeat,
        4,
        { correlationId: 9, clientId: 'c' },
        {
          groupId: 'g',
          generationId: 3,
          memberId: 'm',
          groupInstanceId: null,
        },
      ),
    )
    const req = decodeRequest(frame)
    assert.equal(req.header.correlationId, 9)
    if (req.apiKey !== ApiKey.Heartbeat) assert.fail('wrong api')
    assert.equal(req.body.generationId, 3)
  })

  test('an unknown api key still yields the header for the error reply', () => {
    const frame = Buffer.from('7fff0000000000050001' + '61', 'hex')
    assert.throws(
      () => decodeRequest(frame),
      (err: unknown) =>
        err instanceof UnsupportedRequestError &&
        err instanceof UnsupportedVersionError &&
        !err.apiKnown &&
        err.header.correlationId === 5 &&
        err.header.clientId === 'a',
    )
  })

  test('an unsupported ApiVersions version keeps the correlation id (the broker answers with v0)', () => {
    // A future flexible ApiVersions request: header v2 then a body we cannot read.
    const frame = Buffer.from('0012 0063 0000000b 0004 6b636174 00 ffff'.replace(/\s/g, ''), 'hex')
    assert.throws(
      () => decodeRequest(frame),
      (err: unknown) =>
        err instanceof UnsupportedRequestError &&
        err.apiKnown &&
        err.header.correlationId === 11 &&
        /ApiVersionsRequest version 99/.test(err.message),
    )
  })

  test('short or truncated frames fail with ProtocolDecodeError', () => {
    assert.throws(() => decodeRequest(Buffer.from('0012', 'hex')), ProtocolDecodeError)
    const frame = frameOf(
      encodeRequest(
        ApiKey.ListGroups,
        4,
        { correlationId: 1, clientId: null },
        { statesFilter: ['Stable'], typesFilter: [] },
      ),
    )
    for (let len = 0; len < frame.length; len++) {
      assert.throws(() => decodeRequest(frame.subarray(0, len)), ProtocolDecodeError)
    }
  })
})

describe('encodeResponse', () => {
  test('refuses versions outside the codec range', () => {
    assert.throws(
      () => encodeResponse(ApiKey.SaslHandshake, 2, 1, { errorCode: 0, mechanisms: [] }),
      /SaslHandshakeResponse version 2 is not supported/,
    )
  })

  test('a Fetch response with 100 partitions references the record buffers instead of copying them', () => {
    const records: Buffer[] = Array.from({ length: 100 }, (_, i) => Buffer.alloc(16 * 1024, i))
    const body: FetchResponse = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [
        {
          topic: '',
          topicId: '11111111-2222-4333-8444-555555555555',
          partitions: records.map((r, i) => ({
            partitionIndex: i,
            errorCode: 0,
            highWatermark: 1000n,
            lastStableOffset: 1000n,
            logStartOffset: 0n,
            divergingEpoch: { epoch: -1, endOffset: -1n },
            currentLeader: { leaderId: -1, leaderEpoch: -1 },
            snapshotId: { endOffset: -1n, epoch: -1 },
            abortedTransactions: null,
            preferredReadReplica: -1,
            records: r,
          })),
        },
      ],
      nodeEndpoints: [],
    }
    const chunks = encodeResponse(ApiKey.Fetch, 16, 77, body)
    const referenced = new Set(chunks)
    for (const r of records) assert.ok(referenced.has(r), 'record bytes were copied')
    const metadataBytes = chunks.filter((c) => !records.includes(c)).reduce((n, c) => n + c.length, 0)
    assert.ok(metadataBytes < 100 * 64, `${metadataBytes} bytes of non-record data`)

    // Through a socket-like splitter and back: records come out as views of the received frame.
    const wire = Buffer.concat(chunks)
    const frames: Buffer[] = []
    new FrameSplitter().push(wire, (f) => frames.push(f))
    assert.equal(frames.length, 1)
    const decoded = decodeResponse(ApiKey.Fetch, 16, frames[0]!)
    assert.equal(decoded.correlationId, 77)
    const partitions = decoded.body.responses[0]!.partitions
    assert.equal(partitions.length, 100)
    for (const [i, p] of partitions.entries()) {
      assert.equal(p.records!.buffer, wire.buffer)
      assert.ok(p.records!.equals(records[i]!))
    }
    assert.equal(decoded.body.responses[0]!.topicId, '11111111-2222-4333-8444-555555555555')
  })
})

describe('api table', () => {
  test('has the 34 generated APIs with sane version ranges', () => {
    assert.equal(apis.length, 34)
    for (const api of apis) {
      assert.equal(apiByKey(api.apiKey), api)
      assert.ok(api.minVersion <= api.maxVersion)
      assert.equal(api.request.name, `${api.name}Request`)
      assert.equal(api.response.name, `${api.name}Response`)
    }
    assert.equal(apiByKey(ApiKey.Produce)!.firstFlexibleVersion, 9)
    assert.equal(apiByKey(ApiKey.Fetch)!.firstFlexibleVersion, 12)
    assert.equal(apiByKey(ApiKey.SaslHandshake)!.firstFlexibleVersion, null)
    assert.equal(apiByKey(ApiKey.EndTxn)!.latestVersionUnstable, true)
    assert.equal(apiByKey(99), undefined)
    assert.equal(ZERO_UUID.length, 36)
  })
})
