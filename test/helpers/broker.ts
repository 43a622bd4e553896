// Runs `riffle serve` as a real child process on free ports, for tests that talk to it over TCP
// with real clients, kill it, and restart it on the same data directory and port.
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import type { TestContext } from 'node:test'

const cli = path.resolve(import.meta.dirname, '../../src/cli/main.ts')

export interface BrokerProcess {
  host: string
  port: number
  /** host:port for clients. */
  bootstrap: string
  dataDir: string
  child: ChildProcess
  /** Stops with SIGTERM and waits; resolves with the exit code. */
  stop(): Promise<number | null>
  /** SIGKILL and wait. */
  kill(): Promise<void>
  /** Starts again on the same data directory and port. */
  restart(): Promise<BrokerProcess>
}

export interface StartOptions {
  port?: number
  args?: string[]
  env?: Record<string, string>
}

export async function startBroker(
  t: TestContext | null,
  dataDir: string,
  options: StartOptions = {},
): Promise<BrokerProcess> {
  const args = [
    cli,
    'serve',
    '--data-dir',
    dataDir,
    '--kafka',
    `127.0.0.1:${options.port ?? 0}`,
    '--http',
    'off',
    ...(options.args ?? []),
  ]
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RIFFLE_LOG_LEVEL: process.env.RIFFLE_LOG_LEVEL ?? 'warn', ...options.env },
  })
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
    if (process.env.RIFFLE_TEST_BROKER_LOG) process.stderr.write(d)
  })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    const onData = (d: Buffer) => {
      out += d.toString()
      const m = /riffle ready: kafka [^:]+:(\d+)/.exec(out)
      if (m) {
        child.stdout!.off('data', onData)
        resolve(Number(m[1]))
      }
    }
    child.stdout!.on('data', onData)
    child.once('exit', (code, signal) =>
      reject(new Error(`broker exited (${code ?? signal}) before ready:\n${stderr}`)),
    )
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const proc: BrokerProcess = {
    host: '127.0.0.1',
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill('SIGTERM')
      return exited
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGKILL')
      await exited
    },
    restart: () => startBroker(t, dataDir, { ...options, port }),
  }
  t?.after(() => proc.kill())
  return proc
}
