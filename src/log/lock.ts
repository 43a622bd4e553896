// An exclusive lock on a data directory. Node has no flock(), so the lock is a file holding the
// owner's pid, created atomically with link(2); a lock whose pid is no longer alive is stale (the
// owner crashed) and is taken over. Two live processes can never both hold it.
import fs from 'node:fs'
import path from 'node:path'
import { RiffleError } from '../core/errors.ts'

export interface DirLock {
  release(): void
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function lockDataDir(dir: string): DirLock {
  const lockPath = path.join(dir, '.lock')
  const tmp = path.join(dir, `.lock.${process.pid}.${Math.random().toString(36).slice(2)}`)
  fs.writeFileSync(tmp, `${process.pid}\n`)
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.linkSync(tmp, lockPath)
        return {
          release() {
            try {
              if (fs.readFileSync(lockPath, 'utf8').trim() === String(process.pid)) fs.unlinkSync(lockPath)
            } catch {}
          },
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e
      }
      let owner = Number.NaN
      try {
        owner = Number.parseInt(fs.readFileSync(lockPath, 'utf8'), 10)
      } catch {}
      if (Number.isInteger(owner) && alive(owner)) {
        const who = owner === process.pid ? 'this process already' : `process ${owner}`
        throw new RiffleError(
          'DATA_DIR_LOCKED',
          `data directory ${dir} is in use: ${who} holds ${lockPath}. Stop that process or choose another data directory.`,
        )
      }
      // Stale: its owner is gone. Remove it and try to take it again.
      try {
        fs.unlinkSync(lockPath)
      } catch {}
    }
    throw new RiffleError(
      'DATA_DIR_LOCKED',
      `could not lock data directory ${dir}: another process keeps taking it`,
    )
  } finally {
    fs.rmSync(tmp, { force: true })
  }
}
