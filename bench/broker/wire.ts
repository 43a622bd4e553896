// The benchmark's own Kafka client: Riffle's codec over one TCP socket, with any number of requests
// in flight. Kafka answers requests in order per connection, so responses are matched first in,
// first out (and the correlation id checked). Requests can be encoded once and sent many times:
// `sendFrame` takes a complete frame (size prefix included) whose correlation id it patches in place.
//
// As a load generator it must cost little next to the broker, so it reads the socket into buffers
// of its own (net's `onread`): the kernel copies each read straight into a large reusable buffer
// where frames are cut out in place, with no allocation per read or per response. The price: a
// response frame (and anything decoded from it that points into it, like record bytes) is valid
// only until the code that awaited it yields again: use it synchronously, copy what must be kept.
import net from 'node:net'
import { decodeResponse, encodeRequest } from '../../src/protocol/codec/dispatch.ts'
import type { ApiKeyNumber, ApiMessages } from '../../src/protocol/messages/index.ts'

/** Byte position of the correlation id in a request frame: size (4), api key (2), api version (2). */
const CORRELATION_AT = 8
/** Space offered to each socket read. */
const READ_BYTES = 256 * 1024
const INITIAL_BUFFER = 8 * 1024 * 1024

interface Pending {
  correlationId: number
  resolve: (frame: Buffer) => void
  reject: (e: Error) => void
}

/**
 * Cuts frames out of socket reads that land directly in its buffers. Two buffers alternate: when
 * the one being filled runs out of room, the incomplete frame at its end moves to the other, so
 * frames handed out from the first stay intact until their readers have run (Node runs promise
 * continuations after each read callback, before the next read).
 */
class FrameReader {
  private bufs: [Buffer, Buffer]
  private cur = 0
  private start = 0
  private end = 0
  private readonly onFrame: (frame: Buffer) => void

  constructor(onFrame: (frame: Buffer) => void) {
    this.onFrame = onFrame
    this.bufs = [Buffer.allocUnsafe(INITIAL_BUFFER), Buffer.allocUnsafe(INITIAL_BUFFER)]
  }

  /** Where the next read goes (net calls this after every read). */
  next(): Buffer {
    return this.bufs[this.cur]!.subarray(this.end)
  }

  /** `n` bytes were read into the buffer returned by `next`. */
  read(n: number): void {
    const buf = this.bufs[this.cur]!
    this.end += n
    let need = 0
    while (this.end - this.start >= 4) {
      const size = buf.readInt32BE(this.start)
      if (size < 0) throw new Error(`negative frame size ${size}`)
      if (this.end - this.start - 4 < size) {
        need = size + 4
        break
      }
      const frame = buf.subarray(this.start + 4, this.start + 4 + size)
      this.start += 4 + size
      this.onFrame(frame)
    }
    if (this.start === this.end) {
      // Everything consumed: the next read starts over at the front of the other buffer (this
      // one's frames may not have been read yet).
      this.cur ^= 1
      this.start = this.end = 0
      return
    }
    if (buf.length - this.end >= READ_BYTES && this.start + need <= buf.length) return
    // Not enough room: move the incomplete frame to the front of the other buffer (grown if the
    // frame needs more).
    const pending = this.end - this.start
    const size = Math.max(INITIAL_BUFFER, 2 * (need + READ_BYTES))
    let other = this.bufs[this.cur ^ 1]!
    if (other.length < need + READ_BYTES || other.length < pending + READ_BYTES) {
      other = Buffer.allocUnsafe(size)
      this.bufs[this.cur ^ 1] = other
    }
    buf.copy(other, 0, this.start, this.end)
    this.cur ^= 1
    this.start = 0
    this.end = pending
  }
}

export class WireClient {
  readonly socket: net.Socket
  private readonly pending: Pending[] = []
  private head = 0
  private nextId = 1
  private failure: Error | null = null

  private constructor(socket: net.Socket) {
    this.socket = socket
    socket.setNoDelay(true)
    socket.on('error', (e) => this.fail(e))
    socket.on('close', () => this.fail(new Error('connection closed')))
  }

  static connect(port: number, host = '127.0.0.1'): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      let client: WireClient | null = null
      const reader = new FrameReader((frame) => client?.onFrame(frame))
      const s = net.connect({
        port,
        host,
        onread: {
          buffer: () => reader.next(),
          callback: (n: number) => {
            try {
              reader.read(n)
            } catch (e) {
              client?.fail(e as Error)
            }
            return true
          },
        },
      })
      s.once('error', reject)
      s.once('connect', () => {
        s.off('error', reject)
        client = new WireClient(s)
        resolve(client)
      })
    })
  }

  get inFlight(): number {
    return this.pending.length - this.head
  }

  private onFrame(frame: Buffer): void {
    const p = this.pending[this.head]
    if (!p) {
      this.fail(new Error('response without a request'))
      return
    }
    this.pending[this.head++] = undefined as unknown as Pending
    if (this.head > 1024 && this.head * 2 > this.pending.length) {
      this.pending.splice(0, this.head)
      this.head = 0
    }
    const id = frame.readInt32BE(0)
    if (id !== p.correlationId) {
      const e = new Error(`response ${id} out of order, expected ${p.correlationId}`)
      p.reject(e)
      this.fail(e)
      return
    }
    p.resolve(frame)
  }

  private fail(e: Error): void {
    if (this.failure) return
    this.failure = e
    for (let i = this.head; i < this.pending.length; i++) this.pending[i]!.reject(e)
    this.pending.length = 0
    this.head = 0
    this.socket.destroy()
  }

  /**
   * Sends a complete request frame, patching its correlation id in place; resolves with the
   * response frame (without size prefix, starting with the correlation id). The caller must not
   * touch `frame` until the promise settles (the socket may still hold it).
   */
  sendFrame(frame: Buffer): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure)
    const correlationId = this.nextId++ & 0x7fffffff
    frame.writeInt32BE(correlationId, CORRELATION_AT)
    return new Promise((resolve, reject) => {
      this.pending.push({ correlationId, resolve, reject })
      this.socket.write(frame)
    })
  }

  /** Encodes, sends and decodes one request. */
  async request<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: ApiMessages[K]['request'],
  ): Promise<ApiMessages[K]['response']> {
    const frame = await this.sendFrame(encodeFrame(apiKey, version, body))
    return decodeResponse(apiKey, version, frame).body
  }

  close(): void {
    this.failure ??= new Error('closed')
    this.socket.destroy()
  }
}

/** One request as a single buffer (size prefix included), ready for `sendFrame`. */
export function encodeFrame<K extends ApiKeyNumber>(
  apiKey: K,
  version: number,
  body: ApiMessages[K]['request'],
): Buffer {
  return Buffer.concat(encodeRequest(apiKey, version, { correlationId: 0, clientId: 'riffle-bench' }, body))
}
