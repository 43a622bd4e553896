// A pipeline: a name (its checkpoints live in <dataDir>/pipelines/<name>), options, and the graph
// its streams build. compile() produces the runtime's Job; `riffle run` runs a module's default
// export.
import { RiffleError } from '../core/errors.ts'
import {
  type BadRecordPolicy,
  DEFAULT_JOB_OPTIONS,
  type Guarantee,
  type Job,
  type SinkSpec,
  type SourceSpec,
  validPipelineName,
  validatePlan,
} from '../engine/index.ts'
import { GraphBuilder } from './builder.ts'
import type { Source } from './connectors.ts'
import { SourceStream } from './stream.ts'
import { type Duration, ms } from './time.ts'

export interface PipelineOptions {
  /** How often state, positions and output are checkpointed together. Default '10s'. */
  checkpointEvery?: Duration
  /**
   * 'exactly-once' (default): topic outputs are transactional and committed with each checkpoint
   * (read them read_committed), file outputs are cut back to the checkpoint on restore.
   * 'at-least-once': output is visible at once, and output since the last checkpoint repeats after a crash.
   */
  guarantee?: Guarantee
  /** A record a source cannot decode: 'fail' (default), 'skip' (counted), or { deadLetter: topic }. */
  onBadRecord?: BadRecordPolicy
  /** Most records one source fetch hands to the graph. Default 1000. */
  batchSize?: number
  /** Checkpoints kept on disk. Default 3. */
  keepCheckpoints?: number
}

export class Pipeline {
  readonly name: string
  readonly options: Readonly<PipelineOptions>
  private readonly builder = new GraphBuilder()

  constructor(name: string, options: PipelineOptions = {}) {
    if (!validPipelineName(name))
      throw new RiffleError(
        'INVALID_ARGUMENT',
        `invalid pipeline name '${name}': use 1 to 200 characters from a-z, A-Z, 0-9, '.', '_' and '-'`,
      )
    const policy = options.onBadRecord
    if (
      policy !== undefined &&
      policy !== 'fail' &&
      policy !== 'skip' &&
      !(typeof policy === 'object' && policy.deadLetter)
    )
      throw new RiffleError('INVALID_ARGUMENT', `onBadRecord must be 'fail', 'skip' or { deadLetter: topic }`)
    if (
      options.guarantee !== undefined &&
      options.guarantee !== 'exactly-once' &&
      options.guarantee !== 'at-least-once'
    )
      throw new RiffleError('INVALID_ARGUMENT', `guarantee must be 'exactly-once' or 'at-least-once'`)
    for (const [k, v] of [
      ['batchSize', options.batchSize],
      ['keepCheckpoints', options.keepCheckpoints],
    ] as const)
      if (v !== undefined && !(Number.isInteger(v) && v >= 1))
        throw new RiffleError('INVALID_ARGUMENT', `${k} must be a positive integer, got ${v}`)
    if (options.checkpointEvery !== undefined && !(ms(options.checkpointEvery) > 0))
      throw new RiffleError('INVALID_ARGUMENT', 'checkpointEvery must be longer than 0')
    this.name = name
    this.options = { ...options }
  }

  /** A stream of what `source` yields. */
  from<T>(source: Source<T>): SourceStream<T> {
    const ref = this.builder.add('source', {}, [])
    this.builder.sources.set(ref, source.source)
    return new SourceStream<T>(this.builder, { ref })
  }

  /** The job the runtime runs: the engine plan plus its sources, sinks and options. */
  compile(): Job {
    const plan = this.builder.plan()
    const byId = <S>(m: Map<{ id: string }, S>): Record<string, S> =>
      Object.fromEntries([...m].map(([ref, spec]) => [ref.id, spec]))
    const sources: Record<string, SourceSpec> = byId(this.builder.sources)
    const sinks: Record<string, SinkSpec> = byId(this.builder.sinks)
    if (Object.keys(sources).length === 0)
      throw new RiffleError('INVALID_ARGUMENT', `pipeline '${this.name}' reads nothing: start with from()`)
    if (Object.keys(sinks).length === 0)
      throw new RiffleError('INVALID_ARGUMENT', `pipeline '${this.name}' writes nowhere: end with to()`)
    validatePlan(plan)
    const o = this.options
    return {
      name: this.name,
      plan,
      sources,
      sinks,
      options: {
        checkpointEvery:
          o.checkpointEvery === undefined ? DEFAULT_JOB_OPTIONS.checkpointEvery : ms(o.checkpointEvery),
        guarantee: o.guarantee ?? DEFAULT_JOB_OPTIONS.guarantee,
        onBadRecord: o.onBadRecord ?? DEFAULT_JOB_OPTIONS.onBadRecord,
        maxBatchRecords: o.batchSize ?? DEFAULT_JOB_OPTIONS.maxBatchRecords,
        keepCheckpoints: o.keepCheckpoints ?? DEFAULT_JOB_OPTIONS.keepCheckpoints,
      },
    }
  }
}

/** Starts a pipeline; `export default` it from a module and run it with `riffle run <module>`. */
export function pipeline(name: string, options: PipelineOptions = {}): Pipeline {
  return new Pipeline(name, options)
}

/** Whether `value` is a Pipeline (also across copies of this module). */
export function isPipeline(value: unknown): value is Pipeline {
  return (
    value instanceof Pipeline ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Pipeline).compile === 'function' &&
      typeof (value as Pipeline).name === 'string')
  )
}
