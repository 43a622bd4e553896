// Child processes of a benchmark (a broker, a client in another language) that must not outlive
// it: every tracked child is sent SIGKILL when the benchmark process exits for any reason (normal
// end, an uncaught error, Ctrl-C or SIGTERM), before its scratch directories are removed. Only a
// SIGKILL of the benchmark process itself escapes these hooks; children spawned through
// `dieWithParent` are killed by the kernel then too.
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import { beforeScratchRemoval } from './tmpdir.ts'

const children = new Set<ChildProcess>()
let hooked = false

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null
}

/** Sends SIGKILL to every tracked child still running (synchronous: safe in an 'exit' handler). */
export function killTrackedChildren(): void {
  for (const child of children) if (alive(child)) child.kill('SIGKILL')
  children.clear()
}

/** Tracks `child` until it exits; it is killed if the benchmark ends first. Returns the child. */
export function trackChild<T extends ChildProcess>(child: T): T {
  if (!hooked) {
    hooked = true
    // Runs before the scratch directories go (their removal hooks run first), and again at exit.
    beforeScratchRemoval(killTrackedChildren)
    process.on('exit', killTrackedChildren)
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        killTrackedChildren()
        process.exit(130)
      })
    }
  }
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Kills `child` with SIGKILL (if still running) and waits for it to exit. */
export async function killChild(child: ChildProcess): Promise<void> {
  if (!alive(child)) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  await exited
}

const SETPRIV = '/usr/bin/setpriv'

/**
 * The command and arguments to spawn `command args` so that the kernel kills it if this process
 * dies without cleaning up (even by SIGKILL): `setpriv --pdeathsig KILL` (Linux, util-linux),
 * which then execs the command under the same pid. Where setpriv is missing, the command as is.
 */
export function dieWithParent(command: string, args: string[]): [string, string[]] {
  if (process.platform !== 'linux' || !fs.existsSync(SETPRIV)) return [command, args]
  return [SETPRIV, ['--pdeathsig', 'KILL', '--', command, ...args]]
}
