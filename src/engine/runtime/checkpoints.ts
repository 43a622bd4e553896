// Checkpoints of one pipeline: `<dataDir>/pipelines/<name>/checkpoints/<id>.json`, ids increasing.
// Every file is written to a temporary file, fsynced and renamed into place (then the directory is
// fsynced), so it either is complete or does not exist; a checkpoint is durable once write()
// resolves. The newest few are kept; restore takes the newest that reads back whole.
//
// Incremental: the large arrays of the graph snapshot are stored as content-defined chunks
// (chunks.ts) in pack files `<id>.pack`, and the manifest `<id>.json` lists them. A checkpoint
// writes only the chunks the previous one did not have, so with large, slowly changing state it
// writes a fraction of it. A pack is deleted once no kept manifest refers to it; once less than half
// of one is still referenced, its live chunks are written again, so old packs do not pile up.
import fs from 'node:fs'
import path from 'node:path'
import { childLogger } from '../../core/logging.ts'
import { writeFileAtomicAsync } from '../../log/fsio.ts'
import type { Plain } from '../serde/plain.ts'
import { type ChunkRef, type ChunkedArray, MIN_CHUNKED_BYTES, cutTree, joinTree } from './chunks.ts'

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
const PACK = /^(\d{10,})\.pack$/
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

/** What one write() put on disk. */
export interface CheckpointWrite {
  /** Bytes written: the manifest plus the new chunks' pack. */
  bytes: number
  /** Chunks the checkpoint refers to, and how many of them were already stored. */
  chunks: number
  reused: number
}

/** A checkpoint as stored: large arrays of `graph` are in packs, the manifest lists their chunks. */
interface Manifest extends Omit<Checkpoint, 'version'> {
  version: 2
  chunked: ChunkedArray<ChunkRef>[]
}

/**
 * A pack's chunks are copied into the next checkpoint's pack once less than this share of it is
 * still referenced, so the files of old checkpoints do not pile up behind a few unchanged chunks.
 */
const LIVE_SHARE = 0.5

export class CheckpointStore implements CheckpointStorage {
  readonly dir: string
  private readonly keep: number
  /** The chunks of the newest checkpoint written or read: what the next one may refer to. */
  private known: Map<string, ChunkRef> | null = null
  /** Packs each manifest refers to, by checkpoint id (read from the manifest once). */
  private readonly packsOf = new Map<number, Set<number>>()
  lastWrite: CheckpointWrite | null = null

  private readonly chunkBytes: number

  /** `chunkBytes`: arrays of less JSON than this are written whole (chunks.ts MIN_CHUNKED_BYTES). */
  constructor(dir: string, keep: number, chunkBytes = MIN_CHUNKED_BYTES) {
    this.dir = dir
    this.keep = Math.max(1, keep)
    this.chunkBytes = chunkBytes
    fs.mkdirSync(dir, { recursive: true })
    const newest = this.ids().at(-1) ?? 0
    for (const f of fs.readdirSync(dir)) {
      // A crash between a pack and its manifest leaves a pack newer than every manifest.
      const pack = PACK.exec(f)
      if (f.endsWith('.tmp') || (pack && Number(pack[1]) > newest))
        fs.rmSync(path.join(dir, f), { force: true })
    }
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

  packFile(id: number): string {
    return path.join(this.dir, `${String(id).padStart(10, '0')}.pack`)
  }

  /**
   * The newest checkpoint that reads back whole (its manifest and every chunk), or null. Its chunks
   * are what the next write() may refer to.
   */
  latest(): Checkpoint | null {
    for (const id of this.ids().reverse()) {
      try {
        const read = this.readWithChunks(id)
        if (read) {
          this.known = read.chunks
          return read.checkpoint
        }
      } catch (e) {
        log.warn({ file: this.file(id), err: e }, 'skipping an unreadable checkpoint')
      }
    }
    return null
  }

  /**
   * The newest checkpoint's manifest that parses, without its packs: the large arrays of its graph
   * are empty. Enough to learn what a checkpoint is (its parallelism, say) before a restore reads it.
   */
  outline(): Checkpoint | null {
    for (const id of this.ids().reverse()) {
      try {
        const stored = JSON.parse(fs.readFileSync(this.file(id), 'utf8')) as Checkpoint | Manifest
        if (stored.id !== id || (stored.version !== 1 && stored.version !== 2)) continue
        const { chunked: _, ...rest } = stored as Manifest
        return { ...rest, version: 1 }
      } catch {
        // Unreadable: as latest() does, the one before.
      }
    }
    return null
  }

  /** Checkpoint `id`, or null if the file is not one; throws if it is damaged. */
  read(id: number): Checkpoint | null {
    return this.readWithChunks(id)?.checkpoint ?? null
  }

  private readWithChunks(id: number): { checkpoint: Checkpoint; chunks: Map<string, ChunkRef> } | null {
    const stored = JSON.parse(fs.readFileSync(this.file(id), 'utf8')) as Checkpoint | Manifest
    if (stored.id !== id) return null
    if (stored.version === 1) return { checkpoint: stored, chunks: new Map() }
    if (stored.version !== 2) return null
    const { chunked, ...rest } = stored
    const packs = new Map<number, Buffer>()
    const graph = joinTree(stored.graph, chunked, ([, pack, offset, length]) => {
      let bytes = packs.get(pack)
      if (!bytes) packs.set(pack, (bytes = fs.readFileSync(this.packFile(pack))))
      if (offset + length > bytes.length) throw new Error(`pack ${pack} is shorter than its chunks`)
      return bytes.subarray(offset, offset + length)
    })
    return { checkpoint: { ...rest, version: 1, graph }, chunks: refsOf(chunked) }
  }

  /**
   * Writes `cp` durably: the chunks no earlier checkpoint stored go into a new pack (temporary
   * file, fsync, rename, fsync of the directory), then the manifest the same way. Then drops
   * checkpoints beyond the newest few, and packs none of the kept ones refers to.
   */
  async write(cp: Checkpoint): Promise<void> {
    if (this.known === null) this.latest()
    const known = this.known ?? new Map<string, ChunkRef>()
    const cut = cutTree(cp.graph, this.chunkBytes)
    // Packs mostly unreferenced by now: their chunks still in use are written again (below).
    const live = new Map<number, number>()
    for (const a of cut.arrays)
      for (const piece of a.chunks) {
        const ref = known.get(piece.hash)
        if (ref) live.set(ref[1], (live.get(ref[1]) ?? 0) + ref[3])
      }
    const sparse = new Set<number>()
    for (const [pack, bytes] of live) if (bytes < LIVE_SHARE * this.packSize(pack)) sparse.add(pack)

    const fresh = new Map<string, ChunkRef>()
    const parts: Buffer[] = []
    let offset = 0
    let chunks = 0
    let reused = 0
    const chunked = cut.arrays.map(({ path, chunks: pieces }) => ({
      path,
      chunks: pieces.map((piece): ChunkRef => {
        chunks++
        const old = known.get(piece.hash)
        if (old && !sparse.has(old[1])) {
          reused++
          return old
        }
        let ref = fresh.get(piece.hash)
        if (!ref) {
          ref = [piece.hash, cp.id, offset, piece.bytes.length]
          parts.push(piece.bytes)
          offset += piece.bytes.length
          fresh.set(piece.hash, ref)
        }
        return ref
      }),
    }))
    if (parts.length > 0) await writeFileAtomicAsync(this.packFile(cp.id), parts)
    const manifest: Manifest = { ...cp, version: 2, graph: cut.tree, chunked }
    const text = Buffer.from(JSON.stringify(manifest), 'utf8')
    await writeFileAtomicAsync(this.file(cp.id), [text])
    this.known = refsOf(chunked)
    this.packsOf.set(cp.id, new Set(chunked.flatMap((a) => a.chunks.map((r) => r[1]))))
    this.lastWrite = { bytes: offset + text.length, chunks, reused }
    await this.trim(cp.id)
  }

  private packSize(id: number): number {
    try {
      return fs.statSync(this.packFile(id)).size
    } catch {
      return 0
    }
  }

  /** Keeps the newest checkpoints up to `newest` and the packs they refer to. */
  private async trim(newest: number): Promise<void> {
    const ids = this.ids()
    // Files newer than the one just written did not read back (or it would have been restored
    // from); this checkpoint continues from an older one, so they are dropped.
    const kept = ids.filter((id) => id <= newest).slice(-this.keep)
    for (const id of ids)
      if (!kept.includes(id)) {
        await fs.promises.rm(this.file(id), { force: true })
        this.packsOf.delete(id)
      }
    const referenced = new Set<number>()
    for (const id of kept) for (const pack of this.packs(id)) referenced.add(pack)
    for (const f of await fs.promises.readdir(this.dir)) {
      const m = PACK.exec(f)
      if (m && !referenced.has(Number(m[1]))) await fs.promises.rm(path.join(this.dir, f), { force: true })
    }
  }

  /** The packs checkpoint `id` refers to (none if its manifest does not read). */
  private packs(id: number): Set<number> {
    let packs = this.packsOf.get(id)
    if (!packs) {
      packs = new Set()
      try {
        const stored = JSON.parse(fs.readFileSync(this.file(id), 'utf8')) as Partial<Manifest>
        for (const a of stored.chunked ?? []) for (const ref of a.chunks) packs.add(ref[1])
      } catch {
        // An unreadable manifest is never restored from: its packs need not be kept for it.
      }
      this.packsOf.set(id, packs)
    }
    return packs
  }
}

function refsOf(arrays: ChunkedArray<ChunkRef>[]): Map<string, ChunkRef> {
  const refs = new Map<string, ChunkRef>()
  for (const a of arrays) for (const ref of a.chunks) refs.set(ref[0], ref)
  return refs
}
