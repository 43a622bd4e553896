// `riffle serve`: runs the platform in this process. For now it owns the data directory (the log
// store with its retention and compaction); the Kafka listener and HTTP API attach here next.
import { parseArgs } from 'node:util'
import { childLogger } from '../../core/logging.ts'
import { LogStore } from '../../log/index.ts'

export const serveHelp = `Usage: riffle serve [--data-dir DIR]

Runs Riffle in this process with its data on local disk.

Options:
  --data-dir DIR   where topics are stored (default ./data, or RIFFLE_DATA_DIR)
  -h, --help       show this help`

export async function serve(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  })
  if (values.help) {
    console.log(serveHelp)
    return 0
  }
  const log = childLogger('serve')
  const dataDir = values['data-dir'] ?? process.env.RIFFLE_DATA_DIR ?? './data'
  const store = LogStore.open(dataDir)
  log.info(
    { dataDir, topics: store.listTopics().length, recovered: store.recoveredFromCrash },
    'riffle ready',
  )
  await new Promise<void>((resolve) => {
    // Signal handlers alone do not keep Node's event loop alive.
    const keepAlive = setInterval(() => {}, 1 << 30)
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down')
      clearInterval(keepAlive)
      resolve()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await store.close()
  return 0
}
