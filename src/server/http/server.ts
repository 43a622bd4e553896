// The HTTP API. For now: health and a topic listing; later issues add produce/consume over HTTP,
// metrics and the console. Built on node:http: the surface is small and needs no framework yet.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LogStore } from '../../log/store.ts'

export interface HttpServer {
  address: { host: string; port: number }
  close(): Promise<void>
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

export async function startHttp(store: LogStore, host: string, port: number): Promise<HttpServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (req.method !== 'GET') return json(res, 405, { error: `method ${req.method} not allowed` })
    if (url.pathname === '/health') return json(res, 200, { status: 'ok' })
    if (url.pathname === '/topics') {
      return json(
        res,
        200,
        store
          .listTopics()
          .map((t) => ({ name: t.name, id: t.id, partitions: t.partitions, configs: t.configs })),
      )
    }
    json(res, 404, { error: `no route for ${url.pathname}` })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => resolve())
  })
  return {
    address: { host, port: (server.address() as AddressInfo).port },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
