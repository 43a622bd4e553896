import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { test } from 'node:test'
import { tempDir } from '../../test/helpers/tmp.ts'
import { isRiffleError } from '../core/errors.ts'
import { resolveServeOptions } from './serve-config.ts'

test('flags beat environment variables, which beat the config file, which beats the defaults', (t) => {
  const file = path.join(tempDir(t), 'riffle.json')
  fs.writeFileSync(
    file,
    JSON.stringify({
      dataDir: '/from/file',
      kafka: '0.0.0.0:1111',
      http: 'off',
      defaultPartitions: 4,
      topicDefaults: { 'retention.ms': '1000' },
    }),
  )
  const defaults = resolveServeOptions([], {})!
  assert.deepEqual(
    [
      defaults.dataDir,
      defaults.kafka,
      defaults.http,
      defaults.defaultPartitions,
      defaults.autoCreateTopics,
      defaults.maxRequestBytes,
    ],
    ['./data', { host: '127.0.0.1', port: 9092 }, { host: '127.0.0.1', port: 8080 }, 1, true, 104857600],
  )
  const fromFile = resolveServeOptions(['--config', file], {})!
  assert.deepEqual(
    [fromFile.dataDir, fromFile.kafka, fromFile.http, fromFile.defaultPartitions],
    ['/from/file', { host: '0.0.0.0', port: 1111 }, null, 4],
  )
  assert.deepEqual(fromFile.topicDefaults, { 'retention.ms': '1000' })
  const fromEnv = resolveServeOptions([], {
    RIFFLE_CONFIG: file,
    RIFFLE_DATA_DIR: '/from/env',
    RIFFLE_AUTO_CREATE_TOPICS: 'false',
  })!
  assert.deepEqual(
    [fromEnv.dataDir, fromEnv.kafka.port, fromEnv.autoCreateTopics],
    ['/from/env', 1111, false],
  )
  const fromFlags = resolveServeOptions(
    [
      '--config',
      file,
      '--data-dir',
      '/from/flag',
      '--kafka',
      '[::1]:9093',
      '--advertise',
      'broker.example:19092',
    ],
    {
      RIFFLE_DATA_DIR: '/from/env',
    },
  )!
  assert.deepEqual(
    [fromFlags.dataDir, fromFlags.kafka, fromFlags.advertise],
    ['/from/flag', { host: '::1', port: 9093 }, { host: 'broker.example', port: 19092 }],
  )
  assert.equal(resolveServeOptions(['--help'], {}), null)
})

test('bad settings are refused with a message saying what to write instead', () => {
  assert.throws(
    () => resolveServeOptions(['--kafka', '9092'], {}),
    (e) => isRiffleError(e, 'INVALID_ARGUMENT') && /HOST:PORT/.test(e.message),
  )
  assert.throws(
    () => resolveServeOptions(['--default-partitions', '0'], {}),
    (e) => isRiffleError(e) && /positive integer/.test(e.message),
  )
  assert.throws(
    () => resolveServeOptions(['--config', '/no/such/file.json'], {}),
    (e) => isRiffleError(e) && /cannot read config file/.test(e.message),
  )
  assert.throws(() => resolveServeOptions(['--bogus'], {}), /bogus/)
})

test('riffle serve on a port in use exits 1 with advice instead of a stack trace', async (t) => {
  const blocker = net.createServer()
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()))
  t.after(() => blocker.close())
  const port = (blocker.address() as net.AddressInfo).port
  const cli = path.resolve(import.meta.dirname, 'main.ts')
  const r = spawnSync(
    process.execPath,
    [cli, 'serve', '--data-dir', tempDir(t), '--kafka', `127.0.0.1:${port}`, '--http', 'off'],
    {
      encoding: 'utf8',
      env: { ...process.env, RIFFLE_LOG_LEVEL: 'error' },
    },
  )
  assert.equal(r.status, 1)
  assert.equal(
    r.stderr.trim(),
    `riffle serve: cannot listen on port ${port} (already in use): stop the other process or choose another address with --kafka / --http`,
  )
})
