// Checkpoints of one pipeline: `<dataDir>/pipelines/<name>/checkpoints/<id>.json`, ids increasing.
// A checkpoint is written to a temporary file, fsynced and renamed into place (then the directory is
// fsynced), so a checkpoint file either is complete or does not exist; a checkpoint is durable once
// write() resolves. The newest few are kept; restore takes the newest that reads back whole.
import fs from 'node:fs'
import path from 'node:path'
import { childLogger } from '../../core/logging.ts'
import { fsyncDir } from '../../log/fsio.ts'
import type { Plain } from '../serde/plain.ts'

export interface Checkpoint {
  version: 1
  id: number
  pipeline: string
  /** Wall-clock time it was taken. */
  time: number
  /** Every source was bounded and is exhausted; the output is complete. */
  finished: boolean
  /** Source positions, by source node id. */
  sources: Record<string, Plain>
  /** What each sink prepared (e.g. the transaction to commit), by sink node id. */
  sinks: Record<string, Plain>
  /** LocalGraph.snapshot(): every operator's state, timers and watermarks. */
  graph: Plain
  /** Counters carried across restarts. */
  stats: { recordsIn: number; recordsOut: number; skipped: number; deadLettered: number }
}

const NAME = /^(\d{10,})\.json$/
const log = childLogger('pipeline')

export function pipelineDir(dataDir: string, name: string): string {
  return path.join(dataDir, 'pipelines', name)
}

/**
 * Where a task keeps its checkpoints: files in the data directory (CheckpointStore), or, for a
 * scaled-out pipeline, a state topic written inside the task's transaction (connectors/kafka).
 */
export interface CheckpointStorage {
  /** For messages: where the checkpoints are, and so what to delete to start over. */
  readonly where: string
  /** The newest complete checkpoint, or null. */
  load(): Promise<Checkpoint | null>
  /** Durable once it resolves (or, in a transaction, once that commits). */
  write(cp: Checkpoint): Promise<void>
}

export class CheckpointStore implements CheckpointStorage {
  readonly dir: string
  private readonly keep: number

  constructor(dir: string, keep: number) {
    this.dir = dir
    this.keep = Math.max(1, keep)
    fs.mkdirSync(dir, { recursive: true })
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.tmp')) fs.rmSync(path.join(dir, f), { force: true })
  }

  get where(): string {
    return this.dir
  }

  async load(): Promise<Checkpoint | null> {
    return this.latest()
  }

  /** Ids of the checkpoint files present, oldest first. */
  ids(): number[] {
    return fs
      .readdirSync(this.dir)
      .flatMap((f) => {
        const m = NAME.exec(f)
        return m ? [Number(m[1])] : []
      })
      .sort((a, b) => a - b)
  }

  file(id: number): string {
    return path.join(this.dir, `${String(id).padStart(10, '0')}.json`)
  }

  /** The newest checkpoint that reads back whole, or null. */
  latest(): Checkpoint | null {
    for (const id of this.ids().reverse()) {
      try {
        const cp = JSON.parse(fs.readFileSync(this.file(id), 'utf8')) as Checkpoint
        if (cp.version === 1 && cp.id === id) return cp
      } catch (e) {
        log.warn({ file: this.file(id), err: e }, 'skipping an unreadable checkpoint')
      }
    }
    return null
  }

  /** Writes `cp` durably (temp file, fsync, rename, fsync of the directory), then drops old ones. */
  async write(cp: Checkpoint): Promise<void> {
    const file = this.file(cp.id)
    const tmp = `${file}.tmp`
    const fh = await fs.promises.open(tmp, 'w')
    try {
      await fh.writeFile(JSON.stringify(cp))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await fs.promises.rename(tmp, file)
    fsyncDir(this.dir)
    const ids = this.ids()
    for (const id of ids.slice(0, Math.max(0, ids.length - this.keep)))
      await fs.promises.rm(this.file(id), { force: true })
  }
}
