// A TCP proxy in front of a broker that makes Produce slow, and nothing else: requests pass through
// at once, but each Produce response (API key 0) is held back until the request's bytes have
// "drained" at a fixed byte rate, one Produce after another per proxy, as if the broker could only
// take that many bytes a second. Responses keep their order on each connection (Kafka requires it),
// so anything a client sends behind a Produce on the same connection waits with it. Fetches and
// everything else on other connections are untouched, so a pipeline's source stays fast while its
// topic sink crawls. The rate can change while connections are open (null: no throttle).
import net from 'node:net'
import { FrameSplitter } from '../../src/protocol/codec/frame-splitter.ts'

const PRODUCE = 0

export interface ThrottleProxy {
  port: number
  /** Produce bytes per second let through; null lets everything through at once. */
  setProduceRate(bytesPerSecond: number | null): void
  close(): void
}

interface Held {
  frame: Buffer
  due: number
}

export async function throttleProxy(target: () => number): Promise<ThrottleProxy> {
  let rate: number | null = null
  /** When the Produce bytes accepted so far have drained: shared by every connection. */
  let drainedAt = 0
  const sockets = new Set<net.Socket>()
  /** Per connection: lets held responses go now (when the throttle is lifted). */
  const unthrottles = new Set<() => void>()
  const server = net.createServer((client) => {
    const upstream = net.connect(target(), '127.0.0.1')
    sockets.add(client)
    sockets.add(upstream)
    // Correlation id → size of the Produce request it answers (other APIs are not recorded).
    const produces = new Map<number, number>()
    const queue: Held[] = []
    let timer: NodeJS.Timeout | null = null
    const release = (): void => {
      timer = null
      const now = Date.now()
      const out: Buffer[] = []
      while (queue.length > 0 && queue[0]!.due <= now) out.push(queue.shift()!.frame)
      if (out.length > 0 && !client.destroyed) client.write(out.length === 1 ? out[0]! : Buffer.concat(out))
      if (queue.length > 0) timer = setTimeout(release, queue[0]!.due - now)
    }
    const withSize = (frame: Buffer): Buffer => {
      const b = Buffer.allocUnsafe(4 + frame.length)
      b.writeInt32BE(frame.length, 0)
      frame.copy(b, 4)
      return b
    }
    const requests = new FrameSplitter(1 << 30)
    const responses = new FrameSplitter(1 << 30)
    client.on('data', (chunk: Buffer) => {
      requests.push(chunk, (frame) => {
        // Request header: api key (int16), api version (int16), correlation id (int32).
        if (frame.readInt16BE(0) === PRODUCE) produces.set(frame.readInt32BE(4), frame.length + 4)
      })
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      responses.push(chunk, (frame) => {
        const now = Date.now()
        const id = frame.readInt32BE(0)
        let due = now
        const size = produces.get(id)
        if (size !== undefined) {
          produces.delete(id)
          if (rate !== null) {
            drainedAt = Math.max(drainedAt, now) + (size * 1000) / rate
            due = drainedAt
          }
        }
        // In order: never before the response ahead of it.
        if (queue.length > 0) due = Math.max(due, queue[queue.length - 1]!.due)
        // Frames from FrameSplitter may be views into a chunk: copy before holding on to them.
        queue.push({ frame: withSize(frame), due })
      })
      if (timer === null) release()
    })
    const unthrottle = (): void => {
      const now = Date.now()
      for (const h of queue) h.due = Math.min(h.due, now)
      if (timer) clearTimeout(timer)
      release()
    }
    unthrottles.add(unthrottle)
    const drop = (): void => {
      unthrottles.delete(unthrottle)
      if (timer) clearTimeout(timer)
      queue.length = 0
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    for (const s of [client, upstream]) {
      s.on('close', drop)
      s.on('error', drop)
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  return {
    port: (server.address() as net.AddressInfo).port,
    setProduceRate(bytesPerSecond) {
      rate = bytesPerSecond
      if (rate !== null) return
      drainedAt = 0
      for (const u of unthrottles) u()
    },
    close() {
      server.close()
      for (const s of sockets) s.destroy()
    },
  }
}
