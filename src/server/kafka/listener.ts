// The Kafka TCP listener: accepts connections and hands each to a KafkaConnection. Shutdown is two
// steps so the owner can order it: stop accepting, then drain (answer what was accepted, close).
import net from 'node:net'
import type { Broker } from '../../broker/broker.ts'
import { childLogger } from '../../core/logging.ts'
import { KafkaConnection } from './connection.ts'

export interface KafkaListenerOptions {
  host: string
  port: number
  maxRequestBytes: number
}

export class KafkaListener {
  private readonly server: net.Server
  private readonly connections = new Set<KafkaConnection>()
  address = { host: '', port: 0 }

  private constructor(broker: Broker, options: KafkaListenerOptions) {
    const log = childLogger('kafka')
    this.server = net.createServer((socket) => {
      const conn = new KafkaConnection(socket, broker, log, options.maxRequestBytes)
      this.connections.add(conn)
      socket.once('close', () => this.connections.delete(conn))
    })
  }

  static async listen(broker: Broker, options: KafkaListenerOptions): Promise<KafkaListener> {
    const l = new KafkaListener(broker, options)
    await new Promise<void>((resolve, reject) => {
      l.server.once('error', reject)
      l.server.listen(options.port, options.host, () => {
        l.server.off('error', reject)
        resolve()
      })
    })
    l.address = { host: options.host, port: (l.server.address() as net.AddressInfo).port }
    return l
  }

  /** Stops accepting connections; existing ones keep being served until `drain`. */
  stopAccepting(): void {
    this.server.close()
  }

  /** Answers every accepted request, then closes each connection. */
  async drain(): Promise<void> {
    await Promise.all([...this.connections].map((c) => c.shutdown()))
  }
}
