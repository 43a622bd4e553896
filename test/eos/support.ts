// Shared by the exactly-once tests: the scriptable librdkafka client (clients/ck_txn.py), reading a
// topic as an isolation level sees it (clients/ck_read.py), and small polling helpers.
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import type { TestContext } from 'node:test'

export const PYTHON = '/usr/bin/python3'
export const script = (name: string): string => path.resolve(import.meta.dirname, 'clients', name)

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/** Polls `check` until it returns true or `ms` pass. */
export async function until(
  ms: number,
  what: string,
  check: () => boolean | Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(25)
  }
}

export interface Reply {
  ok: boolean
  error?: string
  fatal?: boolean
  abortable?: boolean
  retriable?: boolean
  fenced?: boolean
  message?: string
  messages?: Array<{ partition: number; offset: number; value: string }>
  partitions?: number[]
  delivered?: number
  failed?: string[]
}

/** One ck_txn.py process: commands in, one reply per command out. */
export class RdkafkaClient {
  readonly child: ChildProcess
  private buffered = ''
  private readonly waiting: Array<(r: Reply) => void> = []
  private stderr = ''

  constructor(t: TestContext, bootstrap: string) {
    this.child = spawn(PYTHON, [script('ck_txn.py'), bootstrap], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.child.stdout!.on('data', (d: Buffer) => {
      this.buffered += d.toString()
      const lines = this.buffered.split('\n')
      this.buffered = lines.pop()!
      for (const line of lines) if (line.trim()) this.waiting.shift()?.(JSON.parse(line) as Reply)
    })
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
    this.child.once('exit', (code, signal) => {
      for (const w of this.waiting.splice(0))
        w({ ok: false, error: `client exited (${code ?? signal}): ${this.stderr.slice(-2000)}` })
    })
    t.after(() => this.kill())
  }

  /** Sends one command and resolves with its reply. */
  send(cmd: Record<string, unknown>): Promise<Reply> {
    return new Promise((resolve) => {
      this.waiting.push(resolve)
      this.child.stdin!.write(`${JSON.stringify(cmd)}\n`)
    })
  }

  /** Sends a command that must succeed; returns the reply. */
  async ok(cmd: Record<string, unknown>): Promise<Reply> {
    const r = await this.send(cmd)
    if (!r.ok) throw new Error(`${JSON.stringify(cmd)} failed: ${JSON.stringify(r)}`)
    return r
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL')
  }

  /** Ends the process in order (closing its consumer) and waits for it. */
  async exit(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()))
    this.child.stdin!.write('{"op":"exit"}\n')
    await exited
  }
}

export interface ReadRecord {
  partition: number
  offset: number
  value: string
}

/** Reads a whole topic with librdkafka as `isolation` sees it; records by partition then offset. */
export function rdkafkaRead(
  bootstrap: string,
  topic: string,
  isolation: 'read_committed' | 'read_uncommitted',
): Promise<ReadRecord[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      PYTHON,
      [script('ck_read.py'), '--bootstrap', bootstrap, '--topic', topic, '--isolation', isolation],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let err = ''
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`ck_read.py exited ${code}: ${err}`))
      else
        resolve(
          out
            .split('\n')
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as ReadRecord),
        )
    })
  })
}

/** Values by partition: { 0: [...], 1: [...] }. */
export function byPartition(
  records: ReadonlyArray<{ partition: number; value: string | null }>,
): Record<number, string[]> {
  const out: Record<number, string[]> = {}
  for (const r of records) (out[r.partition] ??= []).push(r.value ?? '')
  return out
}
