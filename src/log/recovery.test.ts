import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { decodeAll, numberedBatch, text } from '../../test/helpers/batches.ts'
import { tempDir } from '../../test/helpers/tmp.ts'
import { DEFAULT_LOG_CONFIG, applyConfig } from './config.ts'
import { PartitionLog } from './partition-log.ts'
import { segmentFileName } from './segment.ts'

const config = applyConfig(DEFAULT_LOG_CONFIG, { 'index.interval.bytes': '150', 'retention.ms': '-1' })
const LOG0 = segmentFileName(0, '.log')

/** Writes `count` batches of 1–4 records through the log; returns the file bytes and batch bounds. */
async function buildLog(
  dir: string,
  count: number,
): Promise<{ file: Buffer; starts: number[]; values: string[][] }> {
  const log = PartitionLog.open(dir, config)
  const values: string[][] = []
  for (let b = 0; b < count; b++) {
    const n = 1 + (b % 4)
    await log.append(numberedBatch(b, n, { valueBytes: 10 + ((b * 7) % 30) }))
    values.push(Array.from({ length: n }, (_, i) => `b${b}-r${i}`))
  }
  await log.close()
  const file = fs.readFileSync(path.join(dir, LOG0))
  const starts: number[] = []
  for (let pos = 0; pos < file.length; pos += file.readInt32BE(pos + 8) + 12) starts.push(pos)
  return { file, starts, values }
}

async function contents(log: PartitionLog): Promise<string[]> {
  if (log.highWatermark === log.logStartOffset) return []
  const { bytes } = await log.read(log.logStartOffset, 1 << 30)
  return decodeAll(bytes).map((r) => (text(r.value) ?? '').replace(/\.+$/, ''))
}

/** Opens a copy of `file` as the only segment after an unclean shutdown. */
function openDamaged(dir: string, file: Buffer): PartitionLog {
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(dir)
  fs.writeFileSync(path.join(dir, LOG0), file)
  return PartitionLog.open(dir, config, { uncleanShutdown: true })
}

test('a log cut at every byte of its last two batches recovers exactly the whole batches before the cut', async (t) => {
  const { file, starts, values } = await buildLog(tempDir(t), 12)
  const work = path.join(tempDir(t), 'p')
  const from = starts[starts.length - 2]!
  for (let cut = from; cut < file.length; cut++) {
    const whole = starts.filter((_s, i) => (starts[i + 1] ?? file.length) <= cut).length
    const log = openDamaged(work, file.subarray(0, cut))
    assert.deepEqual(await contents(log), values.slice(0, whole).flat(), `cut at ${cut}`)
    assert.equal(
      fs.statSync(path.join(work, LOG0)).size,
      starts[whole] ?? file.length,
      `file truncated, cut at ${cut}`,
    )
    assert.equal(log.logEndOffset, values.slice(0, whole).flat().length)
    // The recovered log accepts appends at the next offset.
    const res = await log.append(numberedBatch(99, 1))
    assert.equal(res.baseOffset, log.logEndOffset - 1)
    await log.close()
  }
})

test('random bit flips in the tail: recovery keeps exactly the batches before the damaged one', async (t) => {
  const { file, starts, values } = await buildLog(tempDir(t), 20)
  const work = path.join(tempDir(t), 'p')
  const tailStart = starts[starts.length - 6]!
  let seed = 12345
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  for (let i = 0; i < 300; i++) {
    const at = tailStart + rand(file.length - tailStart)
    const damaged = Buffer.from(file)
    damaged[at]! ^= 1 << rand(8)
    const hit = starts.findLastIndex((s) => s <= at)
    const log = openDamaged(work, damaged)
    assert.deepEqual(await contents(log), values.slice(0, hit).flat(), `flip at byte ${at} (batch ${hit})`)
    await log.close()
  }
})

test('missing or damaged index files are rebuilt on open', async (t) => {
  const dir = tempDir(t)
  const { values } = await buildLog(dir, 30)
  const expected = values.flat()
  const idx = path.join(dir, segmentFileName(0, '.index'))
  const tidx = path.join(dir, segmentFileName(0, '.timeindex'))
  const good = fs.readFileSync(idx)
  assert.ok(good.length >= 16, 'the test log has several index entries')
  const damage: Array<[string, () => void]> = [
    ['missing', () => fs.rmSync(idx)],
    ['odd size', () => fs.writeFileSync(idx, good.subarray(0, good.length - 3))],
    [
      'positions beyond the log',
      () => fs.writeFileSync(idx, Buffer.concat([good, Buffer.from([0, 0, 1, 0, 0x7f, 0, 0, 0])])),
    ],
    [
      'not increasing',
      () => fs.writeFileSync(idx, Buffer.concat([good.subarray(8, 16), good.subarray(0, 8)])),
    ],
    ['time index garbage', () => fs.writeFileSync(tidx, Buffer.from('garbage-garbage-garbage!'))],
  ]
  for (const [name, harm] of damage) {
    harm()
    const log = PartitionLog.open(dir, config)
    assert.deepEqual(await contents(log), expected, name)
    // Reads that start mid-log go through the index.
    const mid = decodeAll((await log.read(40, 1)).bytes)
    assert.ok(Number(mid[0]!.offset) <= 40 && Number(mid.at(-1)!.offset) >= 40, name)
    assert.deepEqual(
      await log.offsetForTimestamp(1_700_000_000_000 + 25),
      { offset: 61, timestamp: 1_700_000_000_025 },
      name,
    )
    await log.close()
    assert.deepEqual(fs.readFileSync(idx), good, `${name}: index rewritten as before`)
  }
})
