// Promise wrappers over fd-based fs calls. Raw fds (rather than FileHandle) keep the hot append and
// read paths free of per-call object churn, and let a segment be read while another write is queued.
import fs from 'node:fs'
import path from 'node:path'

export function readAt(fd: number, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length)
  return new Promise((resolve, reject) => {
    let done = 0
    const step = (): void => {
      fs.read(fd, buf, done, length - done, position + done, (err, n) => {
        if (err) return reject(err)
        done += n
        if (n === 0 || done === length) return resolve(done === length ? buf : buf.subarray(0, done))
        step()
      })
    }
    step()
  })
}

/** The max iovecs per writev call on Linux (IOV_MAX). */
const IOV_MAX = 1024

export async function writeAllAt(fd: number, buffers: Buffer[], position: number): Promise<void> {
  let list = buffers
  while (list.length > 0) {
    const chunk = list.length > IOV_MAX ? list.slice(0, IOV_MAX) : list
    const written = await new Promise<number>((resolve, reject) =>
      fs.writev(fd, chunk, position, (err, n) => (err ? reject(err) : resolve(n))),
    )
    position += written
    // Drop fully written buffers; keep the unwritten tail of a partially written one.
    let skip = written
    let i = 0
    while (i < chunk.length && skip >= chunk[i]!.length) skip -= chunk[i++]!.length
    const rest = chunk.slice(i)
    if (rest.length > 0 && skip > 0) rest[0] = rest[0]!.subarray(skip)
    list = rest.concat(list.slice(chunk.length))
  }
}

export function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err ? reject(err) : resolve())))
}

export function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (err) => (err ? reject(err) : resolve())))
}

/** Makes a directory entry (a created, renamed or deleted file) durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r')
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** `writeFileAtomic` off the event loop, for writes on hot paths; `data` may come in parts. */
export async function writeFileAtomicAsync(file: string, data: string | Buffer[]): Promise<void> {
  const tmp = `${file}.tmp`
  const fh = await fs.promises.open(tmp, 'w')
  try {
    if (typeof data === 'string') await fh.writeFile(data)
    else await fh.writev(data)
    await fh.sync()
  } finally {
    await fh.close()
  }
  await fs.promises.rename(tmp, file)
  const dir = await fs.promises.open(path.dirname(file), 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

/** Replaces `file` with `data` atomically and durably: write a temp file, fsync, rename, fsync dir. */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp`
  const fd = fs.openSync(tmp, 'w')
  try {
    if (typeof data === 'string') fs.writeSync(fd, data)
    else fs.writeSync(fd, data)
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
  fsyncDir(path.dirname(file))
}
