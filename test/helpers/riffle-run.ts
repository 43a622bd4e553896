// `riffle run` as a real child process, for tests that watch its progress lines on stderr, kill it
// and restart it. Its log goes to stderr at RIFFLE_RUN_LOG's level (default warn).
import { type ChildProcess, spawn } from 'node:child_process'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.resolve(import.meta.dirname, '../..')
const cli = path.join(root, 'src/cli/main.ts')
/** What pipeline files written by tests import. */
export const apiUrl = pathToFileURL(path.join(root, 'src/api/index.ts')).href

export interface Run {
  child: ChildProcess
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Resolves once stderr matches (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>
}

export function riffleRun(args: string[]): Run {
  const child = spawn(process.execPath, [cli, 'run', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RIFFLE_LOG_LEVEL: process.env.RIFFLE_RUN_LOG ?? 'warn' },
  })
  let stderr = ''
  const waiters = new Set<() => void>()
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
    for (const w of waiters) w()
  })
  child.stdout!.resume()
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  return {
    child,
    stderr: () => stderr,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(stderr)
          if (!m) return
          waiters.delete(check)
          resolve(m)
        }
        waiters.add(check)
        check()
        void exited.then(() => {
          if (waiters.delete(check)) reject(new Error(`exited before ${pattern}:\n${stderr}`))
        })
      })
    },
  }
}
