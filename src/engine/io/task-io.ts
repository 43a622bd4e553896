// What a task reads from and writes to. Generators, files and stdout are the same wherever a task
// runs; only topics differ (the embedded log, or an external Kafka cluster), so an implementation
// supplies just its topic reader and writer and `taskIO` does the rest.
import type { Clock } from '../../core/time.ts'
import type { RecordInput } from '../../protocol/records/record.ts'
import type { StreamRecord } from '../model/record.ts'
import type { SinkSpec, SourceSpec, TopicSinkSpec, TopicSourceSpec } from '../runtime/job.ts'
import { FileSinkWriter } from './file-sink.ts'
import { FileSourceReader } from './file-source.ts'
import { GeneratorSourceReader } from './generator-source.ts'
import type { SinkWriter, SourceReader } from './io.ts'
import { StdoutSinkWriter } from './stdout-sink.ts'

export interface TaskIO {
  openSource(spec: SourceSpec): SourceReader
  openSink(spec: SinkSpec): SinkWriter
  /** A topic sink for raw Kafka records (the dead-letter topic): values are RecordInputs. */
  openDeadLetters(topic: string): SinkWriter
}

export interface TopicIO {
  source(spec: TopicSourceSpec): SourceReader
  /** `encode` replaces the spec's serialisation (dead letters carry ready-made records). */
  sink(spec: TopicSinkSpec, encode?: (r: StreamRecord) => RecordInput): SinkWriter
}

export function taskIO(topics: TopicIO, o: { clock: Clock; exactlyOnce: boolean }): TaskIO {
  return {
    openSource(spec) {
      switch (spec.kind) {
        case 'topic':
          return topics.source(spec)
        case 'generator':
          return new GeneratorSourceReader(spec, o.clock)
        case 'file':
          return new FileSourceReader(spec, o.clock)
        default: {
          const unknown: never = spec
          throw new Error(`unknown source ${JSON.stringify(unknown)}`)
        }
      }
    },
    openSink(spec) {
      switch (spec.kind) {
        case 'topic':
          return topics.sink(spec)
        case 'stdout':
          return new StdoutSinkWriter(spec)
        case 'file':
          return new FileSinkWriter(spec, { exactlyOnce: o.exactlyOnce })
        default: {
          const unknown: never = spec
          throw new Error(`unknown sink ${JSON.stringify(unknown)}`)
        }
      }
    },
    openDeadLetters(topic) {
      return topics.sink(
        { kind: 'topic', topic, format: 'bytes', keyFormat: 'bytes' },
        (r) => r.value as RecordInput,
      )
    },
  }
}
