// The typed fluent surface: Stream<T> (map, filter, flatMap, union, process, keyBy, side outputs,
// sinks), SourceStream<T> (event time and watermarks of a source), KeyedStream<K, T> (windows, keyed
// process functions with state and timers, joins) and WindowedStream<K, T> (aggregate, reduce,
// process, late data). Every method only adds plain-data nodes and edges to the pipeline's graph;
// the behaviour is the engine's.
import { RiffleError } from '../core/errors.ts'
import {
  type AggregateFunction,
  type AssignerSpec,
  type EvictorSpec,
  type IntervalJoinInfo,
  type Key,
  type KeyedProcessContext,
  type KeyedTimerContext,
  LATE_TAG,
  type OutputTag,
  type ProcessContext,
  type StreamRecord,
  type TriggerSpec,
  type WatermarkStrategy,
  type Window,
  type WindowConfig,
  type WindowContext,
  type WindowJoinInfo,
  monotonous,
  tagId,
} from '../engine/index.ts'
import { reduce as reduceFn } from './aggregates.ts'
import type { GraphBuilder, NodeRef, Output } from './builder.ts'
import type { Sink } from './connectors.ts'
import { type Duration, ms, signedMs } from './time.ts'

export type { ProcessContext, OutputTag, Window, IntervalJoinInfo, WindowJoinInfo }

/** What a windowed aggregate emits: the key, the window [start, end) and the aggregate's result. */
export interface Windowed<K, R> {
  key: K
  start: number
  end: number
  value: R
}

/** A keyed process function's context, with the key typed. */
export type KeyedContext<K, O> = Omit<KeyedProcessContext<O>, 'key'> & { readonly key: K }
export type KeyedTimerCtx<K, O> = Omit<KeyedTimerContext<O>, 'key'> & { readonly key: K }

/** Flink's KeyedProcessFunction: per element, with the key's state and timers; onTimer when one fires. */
export interface KeyedProcessFunction<K, T, O> {
  processElement(value: T, ctx: KeyedContext<K, O>): void
  onTimer?(timestamp: number, ctx: KeyedTimerCtx<K, O>): void
}

/** A window process function's context, with the key typed. */
export type WindowFunctionContext<K, O> = Omit<WindowContext<O>, 'key'> & { readonly key: K }

export interface WindowOptions {
  /** When the window emits. Default: the assigner's (at the end of the window for event time). */
  trigger?: TriggerSpec
  /** Removes elements before or after the window function runs. */
  evictor?: EvictorSpec
  /** How long after its end a window still takes late elements (and emits again). Default 0. */
  allowedLateness?: Duration
}

function toMillis(t: number | Date | string): number {
  const n = typeof t === 'number' ? t : typeof t === 'string' ? Date.parse(t) : t.getTime()
  if (!Number.isFinite(n))
    throw new RiffleError('INVALID_RECORD', `event time ${String(t)} is not a valid time`)
  return n
}

export class Stream<T> {
  /** The pipeline's graph under construction (internal). */
  protected readonly builder: GraphBuilder
  /** The node output this stream is (internal). */
  readonly output: Output

  constructor(builder: GraphBuilder, output: Output) {
    this.builder = builder
    this.output = output
  }

  protected derive<U>(ref: NodeRef): Stream<U> {
    return new Stream<U>(this.builder, { ref })
  }

  /** One output value per value. */
  map<U>(fn: (value: T) => U): Stream<U> {
    return this.derive(this.builder.add('map', { map: (v) => fn(v as T) }, [this.output]))
  }

  /** Keeps the values `fn` accepts. */
  filter<S extends T>(fn: (value: T) => value is S): Stream<S>
  filter(fn: (value: T) => boolean): Stream<T>
  filter(fn: (value: T) => boolean): Stream<T> {
    return this.derive(this.builder.add('filter', { filter: (v) => fn(v as T) }, [this.output]))
  }

  /** Any number of output values per value. */
  flatMap<U>(fn: (value: T) => Iterable<U>): Stream<U> {
    return this.derive(this.builder.add('flatMap', { flatMap: (v) => fn(v as T) }, [this.output]))
  }

  /** This stream and `others` as one; event time is the minimum of theirs. */
  union(...others: Stream<T>[]): Stream<T> {
    for (const o of others)
      if (o.builder !== this.builder)
        throw new RiffleError('INVALID_ARGUMENT', 'union: streams must belong to the same pipeline')
    return this.derive(this.builder.add('union', {}, [this.output, ...others.map((o) => o.output)]))
  }

  /**
   * A function per value with its timestamp, the watermark and side outputs: ctx.emit(value) sends
   * on, ctx.output(tag, value) to a side output (read it with sideOutput(tag)).
   */
  process<U>(fn: (value: T, ctx: ProcessContext<U>) => void): Stream<U> {
    return this.derive(
      this.builder.add('process', { processElement: (v, ctx) => fn(v as T, ctx as ProcessContext<U>) }, [
        this.output,
      ]),
    )
  }

  /** Partitions by key: windows, state and timers downstream are per key. */
  keyBy<K extends Key>(fn: (value: T) => K): KeyedStream<K, T> {
    const ref = this.builder.add('keyBy', { key: (v) => fn(v as T) }, [this.output])
    return new KeyedStream<K, T>(this.builder, { ref })
  }

  /** The side output `tag` of the operator that produced this stream. */
  sideOutput<S>(tag: OutputTag<S> | string): Stream<S> {
    if (this.output.tag !== undefined)
      throw new RiffleError('INVALID_ARGUMENT', 'sideOutput of a side output: take it from the operator')
    return new Stream<S>(this.builder, { ref: this.output.ref, tag: tagId(tag) })
  }

  /** Writes every value to `sink` (exactly once for topics, unless the pipeline says at-least-once). */
  to(sink: Sink<T>): this {
    // A sink is a terminal pass-through node whose records the runtime hands to the connector.
    const ref = this.builder.add('union', {}, [this.output], { label: 'sink' })
    this.builder.sinks.set(ref, sink.sink)
    return this
  }

  /**
   * Names the operator that produced this stream. Names are what checkpoints store state under:
   * name stateful operators to keep their state across changes to the pipeline.
   */
  named(name: string): this {
    this.builder.rename(this.output.ref, name)
    return this
  }
}

/** A stream straight from a source: the one place to say how event time is read. */
export class SourceStream<T> extends Stream<T> {
  private configure(
    timestamp: ((value: T) => number | Date | string) | undefined,
    watermarks: WatermarkStrategy,
    idleTimeout: Duration | undefined,
  ): Stream<T> {
    const node = this.builder.node(this.output.ref)
    const config = node.config as Record<string, unknown>
    if ('watermarks' in config)
      throw new RiffleError('INVALID_ARGUMENT', 'event time of this source is already set')
    if (timestamp) config.timestamp = (v: unknown) => toMillis(timestamp(v as T))
    config.watermarks = watermarks
    if (idleTimeout !== undefined) config.idleTimeout = ms(idleTimeout)
    return new Stream<T>(this.builder, this.output)
  }

  /**
   * Event time is `timestamp(value)` (milliseconds, a Date or an ISO string); watermarks follow
   * `watermarks` per source partition and merge as their minimum. A partition silent for
   * `idleTimeout` stops holding event time back until it delivers again.
   */
  withEventTime(
    timestamp: (value: T) => number | Date | string,
    watermarks: WatermarkStrategy = monotonous(),
    options: { idleTimeout?: Duration } = {},
  ): Stream<T> {
    return this.configure(timestamp, watermarks, options.idleTimeout)
  }

  /** Event time is the records' own timestamps (the Kafka record timestamp), with these watermarks. */
  withWatermarks(watermarks: WatermarkStrategy, options: { idleTimeout?: Duration } = {}): Stream<T> {
    return this.configure(undefined, watermarks, options.idleTimeout)
  }
}

export class KeyedStream<K extends Key, T> extends Stream<T> {
  /** Groups each key's values into windows. */
  window(assigner: AssignerSpec, options: WindowOptions = {}): WindowedStream<K, T> {
    return new WindowedStream<K, T>(this.builder, this.output, assigner, options)
  }

  /**
   * A keyed process function: ctx.state (value, list, map, reducing, aggregating state of the
   * current key), ctx.timers (event- and processing-time timers of the key), ctx.emit, ctx.output.
   */
  override process<U>(
    fn: KeyedProcessFunction<K, T, U> | ((value: T, ctx: KeyedContext<K, U>) => void),
  ): Stream<U> {
    const f = typeof fn === 'function' ? { processElement: fn } : fn
    const config: {
      processElement(v: unknown, ctx: KeyedProcessContext): void
      onTimer?(t: number, ctx: KeyedTimerContext): void
    } = {
      processElement: (v, ctx) => f.processElement(v as T, ctx as unknown as KeyedContext<K, U>),
    }
    if (f.onTimer) {
      const onTimer = f.onTimer.bind(f)
      config.onTimer = (t, ctx) => onTimer(t, ctx as unknown as KeyedTimerCtx<K, U>)
    }
    return this.derive(this.builder.add('keyedProcess', config, [this.output]))
  }

  /**
   * Pairs each value with the values of `other` (same key) whose time lies within
   * [time + lower, time + upper]; each pair once, with the later timestamp.
   */
  intervalJoin<U, R>(
    other: KeyedStream<K, U>,
    between: { lower: Duration; upper: Duration; lowerExclusive?: boolean; upperExclusive?: boolean },
    join: (left: T, right: U, info: IntervalJoinInfo) => R,
  ): Stream<R> {
    const config = {
      lowerBound: signedMs(between.lower),
      upperBound: signedMs(between.upper),
      lowerExclusive: between.lowerExclusive ?? false,
      upperExclusive: between.upperExclusive ?? false,
      join: (l: unknown, r: unknown, info: IntervalJoinInfo) => join(l as T, r as U, info),
    }
    return this.derive(
      this.builder.add('intervalJoin', config, [this.output, other.output], { indexed: true }),
    )
  }

  /** Pairs the values of both streams that fall into the same window of the same key. */
  windowJoin<U, R>(
    other: KeyedStream<K, U>,
    assigner: AssignerSpec,
    join: (left: T, right: U, info: WindowJoinInfo) => R,
    options: { trigger?: TriggerSpec; allowedLateness?: Duration } = {},
  ): Stream<R> {
    const config: {
      assigner: AssignerSpec
      trigger?: TriggerSpec
      allowedLateness?: number
      join(l: unknown, r: unknown, info: WindowJoinInfo): unknown
    } = {
      assigner,
      join: (l, r, info) => join(l as T, r as U, info),
    }
    if (options.trigger) config.trigger = options.trigger
    if (options.allowedLateness !== undefined) config.allowedLateness = ms(options.allowedLateness)
    return this.derive(this.builder.add('windowJoin', config, [this.output, other.output], { indexed: true }))
  }
}

/** The output of a window: results, plus the elements that came too late for their windows. */
export class WindowResults<T, R> extends Stream<R> {
  /** Elements that arrived after their windows' allowed lateness (otherwise dropped). */
  lateData(): Stream<T> {
    return new Stream<T>(this.builder, { ref: this.output.ref, tag: LATE_TAG })
  }
}

export class WindowedStream<K extends Key, T> {
  private readonly builder: GraphBuilder
  private readonly input: Output
  private readonly assigner: AssignerSpec
  private readonly options: WindowOptions

  constructor(builder: GraphBuilder, input: Output, assigner: AssignerSpec, options: WindowOptions) {
    this.builder = builder
    this.input = input
    this.assigner = assigner
    this.options = options
  }

  private build<R>(fns: Pick<WindowConfig, 'aggregate' | 'process'>): WindowResults<T, R> {
    const config: WindowConfig = { assigner: this.assigner, ...fns }
    if (this.options.trigger) config.trigger = this.options.trigger
    if (this.options.evictor) config.evictor = this.options.evictor
    if (this.options.allowedLateness !== undefined) config.allowedLateness = ms(this.options.allowedLateness)
    return new WindowResults<T, R>(this.builder, { ref: this.builder.add('window', config, [this.input]) })
  }

  /** Aggregates each window incrementally; emits { key, start, end, value } when the window fires. */
  aggregate<ACC, R>(fn: AggregateFunction<T, ACC, R>): WindowResults<T, Windowed<K, R>> {
    return this.build({
      aggregate: fn as AggregateFunction,
      process: (values, ctx) => {
        const result: Windowed<K, R> = {
          key: ctx.key as K,
          start: ctx.window.start,
          end: ctx.window.end,
          value: values[0] as R,
        }
        ctx.emit(result)
      },
    })
  }

  /** Folds each window with an associative `combine`; emits { key, start, end, value }. */
  reduce(combine: (a: T, b: T) => T): WindowResults<T, Windowed<K, T>> {
    return this.aggregate(reduceFn(combine))
  }

  /** Calls `fn` with all elements of a window when it fires (they are buffered in state until then). */
  process<U>(fn: (elements: T[], ctx: WindowFunctionContext<K, U>) => void): WindowResults<T, U> {
    return this.build({
      process: (elements, ctx) => fn(elements as T[], ctx as unknown as WindowFunctionContext<K, U>),
    })
  }
}

export type { StreamRecord }
