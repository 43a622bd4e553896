// Structured logging through pino. Level from RIFFLE_LOG_LEVEL (default 'info'); tests default to
// 'warn' via the same variable so their output stays readable.
import { type Logger, pino } from 'pino'

export type { Logger }

export const rootLogger: Logger = pino({
  name: 'riffle',
  level: process.env.RIFFLE_LOG_LEVEL ?? 'info',
  base: undefined,
})

export function childLogger(component: string): Logger {
  return rootLogger.child({ component })
}
