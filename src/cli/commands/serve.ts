// `riffle serve`: the whole platform in this process until SIGINT/SIGTERM, then an orderly stop:
// stop accepting, answer in-flight requests, flush the log, exit 0.
import { RiffleError } from '../../core/errors.ts'
import { childLogger } from '../../core/logging.ts'
import { startPlatform } from '../../server/platform.ts'
import { resolveServeOptions, serveHelp } from '../serve-config.ts'

export { serveHelp }

export async function serve(argv: string[]): Promise<number> {
  const options = resolveServeOptions(argv, process.env)
  if (!options) {
    console.log(serveHelp)
    return 0
  }
  const log = childLogger('serve')
  let platform: Awaited<ReturnType<typeof startPlatform>>
  try {
    platform = await startPlatform(options)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const where = (e as { port?: number }).port
    if (code === 'EADDRINUSE' || code === 'EACCES') {
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `cannot listen on port ${where ?? '?'} (${code === 'EADDRINUSE' ? 'already in use' : 'permission denied'}): stop the other process or choose another address with --kafka / --http`,
      )
    }
    throw e
  }
  const http = platform.http ? `${platform.http.host}:${platform.http.port}` : 'off'
  // The one line for people and scripts: where to connect.
  process.stdout.write(
    `riffle ready: kafka ${platform.kafka.host}:${platform.kafka.port}, http ${http}, data ${options.dataDir}\n`,
  )
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  log.info({ signal }, 'shutting down')
  await platform.close()
  return 0
}
