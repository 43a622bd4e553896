// The worker's end of the port to a LogHost: requests matched to their replies by id, and append
// notifications routed to the reader they are for. Every reader and writer on the port shares it.
import type { MessagePort, Transferable } from 'node:worker_threads'
import { RiffleError } from '../../../core/errors.ts'
import { type HostMessage, type Op, type Request, type Requests, fromWire } from './protocol.ts'

interface Pending {
  resolve(result: unknown): void
  reject(e: unknown): void
}

export class Link {
  private readonly port: MessagePort
  private readonly pending = new Map<number, Pending>()
  private readonly listeners = new Map<number, () => void>()
  private nextRequest = 1
  private nextHandle = 1
  private closed = false

  constructor(port: MessagePort) {
    this.port = port
    port.on('message', (m: HostMessage) => this.receive(m))
    port.on('close', () => {
      this.closed = true
      const gone = new RiffleError('CLOSED', 'the port to the log host is closed')
      for (const p of this.pending.values()) p.reject(gone)
      this.pending.clear()
    })
  }

  /** A reader or writer id, unique on this port. */
  handle(): number {
    return this.nextHandle++
  }

  request<K extends Op>(
    op: K,
    body: Requests[K]['req'],
    transfer: Transferable[] = [],
  ): Promise<Requests[K]['res']> {
    if (this.closed) return Promise.reject(new RiffleError('CLOSED', 'the port to the log host is closed'))
    const id = this.nextRequest++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: unknown) => void, reject })
      this.port.postMessage({ ...body, id, op } as Request, transfer)
    })
  }

  /** Calls `listener` on every notification for `reader`. */
  onNotify(reader: number, listener: () => void): () => void {
    this.listeners.set(reader, listener)
    return () => this.listeners.delete(reader)
  }

  private receive(m: HostMessage): void {
    if (m.kind === 'notify') {
      this.listeners.get(m.reader)?.()
      return
    }
    const p = this.pending.get(m.id)
    if (!p) return
    this.pending.delete(m.id)
    if ('error' in m) p.reject(fromWire(m.error))
    else p.resolve(m.result)
  }
}
