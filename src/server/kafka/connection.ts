// One client connection. Requests are decoded as frames arrive and handled concurrently, but Kafka
// requires responses in request order per connection, so each request takes a slot in a queue and
// responses leave strictly from its head. Anything malformed closes this connection only.
import type { Socket } from 'node:net'
import type { Broker } from '../../broker/broker.ts'
import { apiVersions } from '../../broker/handlers/cluster.ts'
import { isSupported } from '../../broker/versions.ts'
import type { Logger } from '../../core/logging.ts'
import {
  type DecodedRequest,
  UnsupportedRequestError,
  decodeRequest,
  encodeResponse,
} from '../../protocol/codec/dispatch.ts'
import { FrameSplitter } from '../../protocol/codec/frame-splitter.ts'
import { errorCode } from '../../protocol/errors.ts'
import { ApiKey, type ApiKeyNumber, type ApiMessages } from '../../protocol/messages/index.ts'

interface Slot {
  done: boolean
  chunks: Buffer[] | null
  failure: string | null
}

/** Requests in flight per connection before reading pauses (bounds memory per client). */
const MAX_IN_FLIGHT = 256

export class KafkaConnection {
  private readonly socket: Socket
  private readonly broker: Broker
  private readonly log: Logger
  private readonly splitter: FrameSplitter
  private readonly queue: Slot[] = []
  private readonly clientHost: string
  private closed = false
  private drainWaiters: Array<() => void> = []

  constructor(socket: Socket, broker: Broker, log: Logger, maxRequestBytes: number) {
    this.socket = socket
    this.broker = broker
    this.clientHost = socket.remoteAddress ?? ''
    this.log = log.child({ client: `${socket.remoteAddress}:${socket.remotePort}` })
    this.splitter = new FrameSplitter(maxRequestBytes)
    socket.setNoDelay(true)
    socket.on('data', (chunk) => this.onData(chunk))
    socket.on('error', (e) => this.log.debug({ err: e.message }, 'socket error'))
    socket.on('close', () => {
      this.closed = true
      this.notifyDrained()
    })
  }

  private onData(chunk: Buffer): void {
    try {
      this.splitter.push(chunk, (frame) => this.onFrame(frame))
    } catch (e) {
      this.fail(`unreadable request stream: ${(e as Error).message}`)
    }
  }

  private onFrame(frame: Buffer): void {
    if (this.closed) return
    let req: DecodedRequest
    try {
      req = decodeRequest(frame)
    } catch (e) {
      if (e instanceof UnsupportedRequestError) {
        this.unsupported(e.header.requestApiKey, e.header.requestApiVersion, e.header.correlationId)
      } else this.fail(`malformed request: ${(e as Error).message}`)
      return
    }
    if (!isSupported(req.apiKey, req.apiVersion)) {
      this.unsupported(req.apiKey, req.apiVersion, req.header.correlationId)
      return
    }
    const slot: Slot = { done: false, chunks: null, failure: null }
    this.queue.push(slot)
    if (this.queue.length >= MAX_IN_FLIGHT) this.socket.pause()
    const ctx = { clientId: req.header.clientId ?? '', clientHost: this.clientHost }
    this.broker
      .handle(req, ctx)
      .then(
        (body) => {
          slot.chunks =
            body === null
              ? []
              : encodeResponse(
                  req.apiKey,
                  req.apiVersion,
                  req.header.correlationId,
                  body as ApiMessages[ApiKeyNumber]['response'],
                )
        },
        (e: Error) => {
          slot.failure = `${req.apiKey}v${req.apiVersion} failed: ${e.message}`
          this.log.error({ err: e, apiKey: req.apiKey, apiVersion: req.apiVersion }, 'request failed')
        },
      )
      .finally(() => {
        slot.done = true
        this.flush()
      })
  }

  /**
   * An API key or version this broker does not serve. ApiVersions gets Kafka's answer (a v0 response
   * with UNSUPPORTED_VERSION and the supported ranges) so the client can retry with a version it
   * shares; anything else cannot be answered in a format the client expects, so the connection closes.
   */
  private unsupported(apiKey: number, apiVersion: number, correlationId: number): void {
    if (apiKey === ApiKey.ApiVersions) {
      const slot: Slot = {
        done: true,
        chunks: encodeResponse(
          ApiKey.ApiVersions,
          0,
          correlationId,
          apiVersions(errorCode('UNSUPPORTED_VERSION')),
        ),
        failure: null,
      }
      this.queue.push(slot)
      this.flush()
      return
    }
    this.fail(`unsupported request: api key ${apiKey} version ${apiVersion}`)
  }

  private flush(): void {
    let wrote = false
    while (this.queue.length > 0 && this.queue[0]!.done) {
      const slot = this.queue.shift()!
      if (slot.failure) {
        this.fail(slot.failure)
        return
      }
      if (this.closed || slot.chunks === null) continue
      if (!wrote) this.socket.cork()
      wrote = true
      for (const c of slot.chunks) this.socket.write(c)
    }
    if (wrote) this.socket.uncork()
    if (this.queue.length < MAX_IN_FLIGHT && this.socket.isPaused()) this.socket.resume()
    if (this.queue.length === 0) this.notifyDrained()
  }

  private fail(reason: string): void {
    if (this.closed) return
    this.log.warn({ reason }, 'closing connection')
    this.closed = true
    this.socket.destroy()
    this.notifyDrained()
  }

  private notifyDrained(): void {
    if (this.queue.length > 0 && !this.closed) return
    for (const w of this.drainWaiters.splice(0)) w()
  }

  /** Stops reading new requests and resolves once every accepted request has been answered. */
  async shutdown(): Promise<void> {
    this.socket.pause()
    if (this.queue.length > 0 && !this.closed) await new Promise<void>((r) => this.drainWaiters.push(r))
    this.socket.end()
  }
}
