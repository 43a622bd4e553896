// Settings of `riffle serve`, from (highest first) command-line flags, RIFFLE_* environment
// variables, a JSON config file, and defaults.
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { RiffleError } from '../core/errors.ts'
import type { HostPort, PlatformOptions } from '../server/platform.ts'

export const serveHelp = `Usage: riffle serve [options]

Runs Riffle in this process: a Kafka-protocol broker with its data on local disk, and the HTTP API.

Options (environment variable in brackets):
  --data-dir DIR             where topics are stored (default ./data) [RIFFLE_DATA_DIR]
  --kafka HOST:PORT          Kafka listener (default 127.0.0.1:9092; port 0 picks a free one) [RIFFLE_KAFKA]
  --advertise HOST:PORT      address given to clients (default: the Kafka listener's) [RIFFLE_ADVERTISE]
  --http HOST:PORT|off       HTTP API (default 127.0.0.1:8080) [RIFFLE_HTTP]
  --default-partitions N     partitions of auto-created topics (default 1) [RIFFLE_DEFAULT_PARTITIONS]
  --no-auto-create-topics    reject produce/metadata for unknown topics [RIFFLE_AUTO_CREATE_TOPICS=false]
  --max-request-bytes N      largest request accepted (default 104857600) [RIFFLE_MAX_REQUEST_BYTES]
  --config FILE              JSON file with any of: dataDir, kafka, advertise, http, defaultPartitions,
                             autoCreateTopics, maxRequestBytes, topicDefaults (Kafka topic configs) [RIFFLE_CONFIG]
  -h, --help                 show this help`

interface FileConfig {
  dataDir?: string
  kafka?: string
  advertise?: string
  http?: string
  defaultPartitions?: number
  autoCreateTopics?: boolean
  maxRequestBytes?: number
  topicDefaults?: Record<string, string>
  initialRebalanceDelayMs?: number
}

export function parseHostPort(value: string, what: string): HostPort {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(value.trim())
  const port = m ? Number(m[3]) : Number.NaN
  if (!m || port > 65535)
    throw new RiffleError('INVALID_ARGUMENT', `${what} '${value}' is not HOST:PORT (e.g. 127.0.0.1:9092)`)
  return { host: (m[1] ?? m[2])!, port }
}

function positiveInt(value: string | number, what: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1)
    throw new RiffleError('INVALID_ARGUMENT', `${what} must be a positive integer, not '${value}'`)
  return n
}

/** The platform's command-line options, shared by `riffle serve` and `riffle run`. */
export const SERVE_OPTIONS = {
  'data-dir': { type: 'string' },
  kafka: { type: 'string' },
  advertise: { type: 'string' },
  http: { type: 'string' },
  'default-partitions': { type: 'string' },
  'no-auto-create-topics': { type: 'boolean' },
  'max-request-bytes': { type: 'string' },
  config: { type: 'string' },
} as const

/** Values of SERVE_OPTIONS as parseArgs returns them. */
export type ServeValues = {
  [K in keyof typeof SERVE_OPTIONS]?: (typeof SERVE_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string
}

/** Returns null for --help. */
export function resolveServeOptions(argv: string[], env: NodeJS.ProcessEnv): PlatformOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: { ...SERVE_OPTIONS, help: { type: 'boolean', short: 'h' } },
  })
  return values.help ? null : resolveServeValues(values, env)
}

/** The platform settings from parsed flags, the environment, the config file and the defaults. */
export function resolveServeValues(values: ServeValues, env: NodeJS.ProcessEnv): PlatformOptions {
  const configPath = values.config ?? env.RIFFLE_CONFIG
  let file: FileConfig = {}
  if (configPath) {
    try {
      file = JSON.parse(fs.readFileSync(configPath, 'utf8')) as FileConfig
    } catch (e) {
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `cannot read config file ${configPath}: ${(e as Error).message}`,
      )
    }
  }
  const pick = (flag: string | undefined, envName: string, fromFile: string | number | boolean | undefined) =>
    flag ?? env[envName] ?? (fromFile === undefined ? undefined : String(fromFile))
  const http = pick(values.http, 'RIFFLE_HTTP', file.http) ?? '127.0.0.1:8080'
  const advertise = pick(values.advertise, 'RIFFLE_ADVERTISE', file.advertise)
  const autoCreate = values['no-auto-create-topics']
    ? 'false'
    : pick(undefined, 'RIFFLE_AUTO_CREATE_TOPICS', file.autoCreateTopics)
  return {
    dataDir: pick(values['data-dir'], 'RIFFLE_DATA_DIR', file.dataDir) ?? './data',
    kafka: parseHostPort(pick(values.kafka, 'RIFFLE_KAFKA', file.kafka) ?? '127.0.0.1:9092', '--kafka'),
    advertise: advertise ? parseHostPort(advertise, '--advertise') : undefined,
    http: http === 'off' ? null : parseHostPort(http, '--http'),
    defaultPartitions: positiveInt(
      pick(values['default-partitions'], 'RIFFLE_DEFAULT_PARTITIONS', file.defaultPartitions) ?? 1,
      '--default-partitions',
    ),
    autoCreateTopics: autoCreate === undefined ? true : autoCreate !== 'false',
    maxRequestBytes: positiveInt(
      pick(values['max-request-bytes'], 'RIFFLE_MAX_REQUEST_BYTES', file.maxRequestBytes) ??
        100 * 1024 * 1024,
      '--max-request-bytes',
    ),
    topicDefaults: file.topicDefaults ?? {},
    initialRebalanceDelayMs: file.initialRebalanceDelayMs ?? 0,
  }
}
