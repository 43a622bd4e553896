// A minimal Kafka protocol client over a real socket, built on Riffle's own codec: for tests that
// need exact control of versions and bytes (unsupported versions, malformed frames, fuzzing).
import net from 'node:net'
import { decodeResponse, encodeRequest } from '../../src/protocol/codec/dispatch.ts'
import { FrameSplitter } from '../../src/protocol/codec/frame-splitter.ts'
import type { ApiKeyNumber, ApiMessages } from '../../src/protocol/messages/index.ts'

export class RawClient {
  readonly socket: net.Socket
  private readonly pending = new Map<number, (frame: Buffer) => void>()
  private nextId = 1
  private readonly splitter = new FrameSplitter(1 << 30)
  closed: Promise<void>

  private constructor(socket: net.Socket) {
    this.socket = socket
    socket.on('data', (chunk) =>
      this.splitter.push(chunk, (frame) => {
        const id = frame.readInt32BE(0)
        const resolve = this.pending.get(id)
        this.pending.delete(id)
        resolve?.(frame)
      }),
    )
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => resolve(new RawClient(s)))
      s.once('error', reject)
    })
  }

  /** Sends a request and resolves with the decoded response body. */
  request<K extends ApiKeyNumber>(
    apiKey: K,
    version: number,
    body: ApiMessages[K]['request'],
  ): Promise<ApiMessages[K]['response']> {
    const correlationId = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, (frame) => {
        try {
          resolve(decodeResponse(apiKey, version, frame).body)
        } catch (e) {
          reject(e)
        }
      })
      void this.closed.then(() => reject(new Error('connection closed')))
      for (const c of encodeRequest(apiKey, version, { correlationId, clientId: 'raw-test' }, body))
        this.socket.write(c)
    })
  }

  /** Sends raw bytes; resolves with the next response frame with `correlationId`, if any. */
  sendRaw(bytes: Buffer, correlationId: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, resolve)
      void this.closed.then(() => reject(new Error('connection closed')))
      this.socket.write(bytes)
    })
  }

  close(): void {
    this.socket.destroy()
  }
}
