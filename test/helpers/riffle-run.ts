// `riffle run` as a real child process, for tests that watch its progress lines on stderr, kill it
// and restart it, and read its peak memory. Its log goes to stderr at RIFFLE_RUN_LOG's level
// (default warn).
import { type ChildProcess, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'

const root = path.resolve(import.meta.dirname, '../..')
const cli = path.join(root, 'src/cli/main.ts')
/** What pipeline files written by tests import. */
export const apiUrl = pathToFileURL(path.join(root, 'src/api/index.ts')).href

export interface Progress {
  /** When the line arrived (ms). */
  at: number
  in: number
  out: number
}

export interface Run {
  child: ChildProcess
  stderr(): string
  readonly progress: Progress[]
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Calls `f` for every progress line from now on. */
  onProgress(f: (p: Progress) => void): void
  /** Resolves once stderr matches `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>
  /** Resolves with the first progress line (old or new) that satisfies `check`. */
  waitForProgress(check: (p: Progress) => boolean, what: string, ms: number): Promise<Progress>
  /** VmHWM (peak resident set) of the process in bytes, read now; the last reading once it exited. */
  peakRss(): number
  kill(): void
}

const number = (s: string): number => Number(s.replaceAll(',', ''))

/**
 * `riffle run` with `args` as a child process (node itself, so its pid is the pipeline's). Its
 * peak resident set is read from /proc every 100 ms while it lives, so the value survives its exit.
 */
export function riffleRun(args: string[]): Run {
  const child = spawn(process.execPath, [cli, 'run', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RIFFLE_LOG_LEVEL: process.env.RIFFLE_RUN_LOG ?? 'warn' },
  })
  let stderr = ''
  let partial = ''
  const progress: Progress[] = []
  const listeners = new Set<(p: Progress) => void>()
  const waiters = new Set<() => void>()
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString()
    stderr += text
    partial += text
    const lines = partial.split('\n')
    partial = lines.pop()!
    for (const line of lines) {
      const m =
        /: \S+ (?:running|stopping|finished|stopped): in ([\d,]+)(?: \([\d,]+\/s\))?, out ([\d,]+)/.exec(line)
      if (!m) continue
      const p = { at: Date.now(), in: number(m[1]!), out: number(m[2]!) }
      progress.push(p)
      for (const f of listeners) f(p)
    }
    for (const w of waiters) w()
  })
  child.stdout!.resume()
  let hwm = 0
  const readHwm = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))
      if (m) hwm = Math.max(hwm, Number(m[1]) * 1024)
    } catch {
      // Gone already: keep the last reading.
    }
  }
  const sampler = setInterval(readHwm, 100)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      clearInterval(sampler)
      resolve({ code, signal })
    }),
  )
  const run: Run = {
    child,
    stderr: () => stderr,
    progress,
    exited,
    onProgress: (f) => listeners.add(f),
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
    waitForProgress(check, what, ms) {
      return new Promise((resolve, reject) => {
        const found = progress.find(check)
        if (found) return resolve(found)
        const timer = setTimeout(() => {
          listeners.delete(f)
          reject(new Error(`timed out after ${ms} ms waiting for ${what}:\n${stderr.slice(-3000)}`))
        }, ms)
        const f = (p: Progress): void => {
          if (!check(p)) return
          clearTimeout(timer)
          listeners.delete(f)
          resolve(p)
        }
        listeners.add(f)
        void exited.then(() => {
          if (!listeners.delete(f)) return
          clearTimeout(timer)
          reject(new Error(`exited before ${what}:\n${stderr.slice(-3000)}`))
        })
      })
    },
    peakRss() {
      if (child.exitCode === null && child.signalCode === null) readHwm()
      return hwm
    },
    kill() {
      clearInterval(sampler)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    },
  }
  return run
}
