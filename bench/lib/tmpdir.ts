// Scratch directories for benchmark data. They must be on the same filesystem as the repository
// (the disk being measured), so os.tmpdir() is used only when it is; otherwise data/bench-tmp in
// the repository (gitignored). BENCH_DIR_OVERRIDE=<dir> picks another place. Everything is removed
// at exit, including on Ctrl-C.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { REPO_DIR } from './report.ts'

const created = new Set<string>()
const beforeRemoval: Array<() => void> = []
let hooked = false

function removeAll(): void {
  for (const hook of beforeRemoval) hook()
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true })
  created.clear()
}

/**
 * Registers a synchronous `hook` run when the scratch directories are removed at exit (and on
 * Ctrl-C), before they are: e.g. killing a child process that still writes into one of them.
 */
export function beforeScratchRemoval(hook: () => void): void {
  beforeRemoval.push(hook)
}

/** The parent directory for benchmark data: os.tmpdir() if it shares the repository's device. */
export function scratchRoot(): string {
  const override = process.env.BENCH_DIR_OVERRIDE
  if (override) return override
  const tmp = os.tmpdir()
  if (fs.statSync(tmp).dev === fs.statSync(REPO_DIR).dev) return tmp
  return path.join(REPO_DIR, 'data', 'bench-tmp')
}

/** Creates a fresh scratch directory, removed by `removeScratchDir` or at process exit. */
export function makeScratchDir(prefix: string): string {
  const root = scratchRoot()
  fs.mkdirSync(root, { recursive: true })
  const dir = fs.mkdtempSync(path.join(root, `riffle-bench-${prefix}-`))
  created.add(dir)
  if (!hooked) {
    hooked = true
    process.on('exit', removeAll)
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        removeAll()
        process.exit(130)
      })
    }
  }
  return dir
}

export function removeScratchDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true })
  created.delete(dir)
}
