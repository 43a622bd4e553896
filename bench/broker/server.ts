// The broker under test: `riffle serve` as a real child process on a free port, with its data in
// a scratch directory, killed when the benchmark ends however it ends. Topics are created with
// CreateTopics and their settings, as an administrator would.
//
// Two environment variables help investigations (neither is set for the published figures):
//   BENCH_BROKER_NODE_ARGS  extra node flags for the broker, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p"
//   BENCH_BROKER_CLI        another riffle CLI entry point, e.g. a modified copy of src/, for A/B runs
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { dieWithParent, killChild, trackChild } from '../lib/children.ts'
import { REPO_DIR } from '../lib/report.ts'
import { makeScratchDir, removeScratchDir } from '../lib/tmpdir.ts'
import { WireClient } from './wire.ts'

export const DEFAULT_CLI = path.join(REPO_DIR, 'src', 'cli', 'main.ts')

export interface RunningBroker {
  child: ChildProcess
  pid: number
  dataDir: string
  port: number
  bootstrap: string
  /** The node flags and CLI the broker was started with (for the report). */
  nodeArgs: string[]
  cli: string
  admin: WireClient
  /** Creates a topic with `partitions` partitions and the given topic configs. */
  createTopic(name: string, partitions: number, configs: Record<string, string>): Promise<void>
  /** Stops the broker (SIGTERM: an orderly shutdown) and deletes its data. */
  stop(): Promise<void>
}

export async function runBroker(): Promise<RunningBroker> {
  const dataDir = makeScratchDir('broker')
  const nodeArgs = (process.env.BENCH_BROKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean)
  const cli = process.env.BENCH_BROKER_CLI ?? DEFAULT_CLI
  const args = [...nodeArgs, cli, 'serve', '--data-dir', dataDir, '--kafka', '127.0.0.1:0', '--http', 'off']
  const [command, commandArgs] = dieWithParent(process.execPath, args)
  const child = trackChild(
    spawn(command, commandArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RIFFLE_LOG_LEVEL: process.env.RIFFLE_LOG_LEVEL ?? 'warn' },
    }),
  )
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-8000)
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer): void => {
      out += d.toString()
      const m = /riffle ready: kafka [^:\s]+:(\d+)/.exec(out)
      if (m) {
        child.stdout!.off('data', onData)
        child.stdout!.resume() // keep draining whatever else it prints
        resolve(Number(m[1]))
      }
    }
    child.stdout!.on('data', onData)
    void exited.then((code) => reject(new Error(`broker exited (${code}) before ready:\n${stderr}`)))
  })
  const admin = await WireClient.connect(port)
  return {
    child,
    pid: child.pid!,
    dataDir,
    port,
    bootstrap: `127.0.0.1:${port}`,
    nodeArgs,
    cli,
    admin,
    async createTopic(name, partitions, configs) {
      const res = await admin.request(19, 4, {
        topics: [
          {
            name,
            numPartitions: partitions,
            replicationFactor: 1,
            assignments: [],
            configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
          },
        ],
        timeoutMs: 10_000,
        validateOnly: false,
      })
      const t = res.topics[0]
      if (!t || t.errorCode !== 0)
        throw new Error(`CreateTopics ${name} failed: error ${t?.errorCode} ${t?.errorMessage ?? ''}`)
    },
    async stop() {
      admin.close()
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => void killChild(child), 20_000)
        const code = await exited
        clearTimeout(timer)
        if (code !== 0) console.warn(`broker exited with code ${code}:\n${stderr}`)
      }
      removeScratchDir(dataDir)
    },
  }
}
