// Structured logging through pino, to stderr: stdout is kept for what a command prints for people
// and scripts (e.g. the ready line of \`riffle serve\`). Level from RIFFLE_LOG_LEVEL (default 'info').
import { type Logger, pino } from 'pino'

export type { Logger }

export const rootLogger: Logger = pino(
  { name: 'riffle', level: process.env.RIFFLE_LOG_LEVEL ?? 'info', base: undefined },
  pino.destination(2),
)

export function childLogger(component: string): Logger {
  return rootLogger.child({ component })
}
