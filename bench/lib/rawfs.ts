// Plain node:fs building blocks for baselines: positional writes, writev, fdatasync and reads as
// promise wrappers over the callback API (the same thread-pool calls the log itself makes), with
// none of the log's bookkeeping. A baseline is what the same I/O costs without Riffle in the way.
import fs from 'node:fs'

/** Writes all of `buf` at `position`, continuing after short writes. */
export async function writeAt(fd: number, buf: Buffer, position: number): Promise<void> {
  let done = 0
  while (done < buf.length) {
    done += await new Promise<number>((resolve, reject) =>
      fs.write(fd, buf, done, buf.length - done, position + done, (err, n) =>
        err ? reject(err) : resolve(n),
      ),
    )
  }
}

/** Writes all of `buffers` contiguously at `position` with writev, continuing after short writes. */
export async function writevAt(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let list = buffers
  let pos = position
  while (list.length > 0) {
    const n = await new Promise<number>((resolve, reject) =>
      fs.writev(fd, list, pos, (err, written) => (err ? reject(err) : resolve(written))),
    )
    pos += n
    let skip = n
    let i = 0
    while (i < list.length && skip >= list[i]!.length) skip -= list[i++]!.length
    list = list.slice(i)
    if (list.length > 0 && skip > 0) list[0] = list[0]!.subarray(skip)
  }
}

export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())))
}

/** Reads up to `length` bytes at `position` into a new buffer (shorter at the end of the file). */
export function readAt(fd: number, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  return new Promise((resolve, reject) =>
    fs.read(fd, buf, 0, length, position, (err, n) =>
      err ? reject(err) : resolve(n === length ? buf : buf.subarray(0, n)),
    ),
  )
}

/** fsync of a directory: makes creations and deletions in it durable (and settles the journal). */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * A minimal group-commit writer over one file: appends queue while a write (and fdatasync, with
 * `sync`) is in flight, and the next round writes everything queued with one writev and one
 * fdatasync. It is the raw equivalent of a single-writer log loop, with nothing else in it.
 */
export class RawGroupWriter {
  readonly fd: number
  readonly sync: boolean
  position = 0
  rounds = 0
  fsyncs = 0
  private queue: { buf: Buffer; resolve: () => void; reject: (e: unknown) => void }[] = []
  private writing = false

  constructor(fd: number, sync: boolean) {
    this.fd = fd
    this.sync = sync
  }

  append(buf: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ buf, resolve, reject })
      if (!this.writing) void this.drain()
    })
  }

  private async drain(): Promise<void> {
    this.writing = true
    while (this.queue.length > 0) {
      const group = this.queue
      this.queue = []
      try {
        const buffers = group.map((g) => g.buf)
        await writevAt(this.fd, buffers, this.position)
        for (const b of buffers) this.position += b.length
        if (this.sync) {
          await fdatasync(this.fd)
          this.fsyncs++
        }
        this.rounds++
        for (const g of group) g.resolve()
      } catch (e) {
        for (const g of group) g.reject(e)
      }
    }
    this.writing = false
  }
}
