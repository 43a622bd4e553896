// Structured logging through pino, to stderr: stdout is kept for what a command prints for people
// and scripts (e.g. the ready line of `riffle serve`). Level from RIFFLE_LOG_LEVEL (default 'info',
// 'warn' under the test runner).
import { type Logger, pino } from 'pino'

export type { Logger }

/** 'info', or 'warn' inside Node's test runner (which sets NODE_TEST_CONTEXT), where info is noise. */
function defaultLevel(): string {
  return process.env.NODE_TEST_CONTEXT ? 'warn' : 'info'
}

export const rootLogger: Logger = pino(
  { name: 'riffle', level: process.env.RIFFLE_LOG_LEVEL ?? defaultLevel(), base: undefined },
  pino.destination(2),
)

export function childLogger(component: string): Logger {
  return rootLogger.child({ component })
}
