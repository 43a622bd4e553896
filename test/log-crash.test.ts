// Durability under SIGKILL: every append acknowledged with fsync=always survives, intact.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import path from 'node:path'
import { test } from 'node:test'
import { LogStore } from '../src/log/store.ts'
import { decodeAll, text } from './helpers/batches.ts'
import { tempDir } from './helpers/tmp.ts'

const appender = path.resolve(import.meta.dirname, 'fixtures/crash-appender.ts')

interface Ack {
  baseOffset: number
  count: number
  tag: string
}

/** Runs the appender until killed with SIGKILL `afterMs` after it is ready; returns its acks. */
function runAndKill(dir: string, run: number, afterMs: number): Promise<{ acks: Ack[]; readyAt: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [appender, dir, String(run)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, RIFFLE_LOG_LEVEL: 'error' }, // each restart's recovery warning is expected here
    })
    const acks: Ack[] = []
    let readyAt = -1
    let pending = ''
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        const [kind, a, b, tag] = line.split(' ')
        if (kind === 'ready') {
          readyAt = Number(a)
          setTimeout(() => child.kill('SIGKILL'), afterMs)
        } else if (kind === 'ack') acks.push({ baseOffset: Number(a), count: Number(b), tag: tag! })
      }
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL')
        reject(new Error(`appender exited with ${code ?? signal} before being killed`))
      else resolve({ acks, readyAt })
    })
  })
}

test('every acknowledged append survives 25 SIGKILLs at random moments', async (t) => {
  const dir = tempDir(t)
  const acked: Ack[] = []
  let seed = Date.now() % 100_000
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed % n
  }
  t.diagnostic(`seed ${seed}`)
  for (let run = 0; run < 25; run++) {
    const { acks, readyAt } = await runAndKill(dir, run, 20 + rand(300))
    // A restarted appender continues after everything acknowledged before.
    const lastAcked = acked.reduce((m, a) => Math.max(m, a.baseOffset + a.count), 0)
    assert.ok(readyAt >= lastAcked, `run ${run} started at ${readyAt}, below acknowledged ${lastAcked}`)
    acked.push(...acks)
  }
  assert.ok(acked.length > 100, `only ${acked.length} acks over all runs`)

  const store = LogStore.open(dir, { maintenanceIntervalMs: 0 })
  assert.equal(store.recoveredFromCrash, true)
  const log = store.partition('crash', 0)!
  const stored = new Map<number, { key: string | null; value: string | null }>()
  for (let offset = log.logStartOffset; offset < log.highWatermark; ) {
    const { bytes } = await log.read(offset, 1 << 20)
    for (const r of decodeAll(bytes)) {
      stored.set(Number(r.offset), { key: text(r.key), value: text(r.value) })
      offset = Number(r.offset) + 1
    }
  }
  for (const a of acked) {
    for (let i = 0; i < a.count; i++) {
      const got = stored.get(a.baseOffset + i)
      assert.ok(got, `acknowledged offset ${a.baseOffset + i} (${a.tag}) is missing`)
      assert.equal(got.key, a.tag)
      assert.equal(got.value!.split('-x')[0]!.replace(/-$/, ''), `${a.tag}-${i}`)
    }
  }
  // Offsets are dense: no gap and no duplicate anywhere in the recovered log.
  assert.deepEqual(
    [...stored.keys()],
    Array.from({ length: stored.size }, (_, i) => i),
  )
  await store.close()
})
