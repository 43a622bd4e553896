// The TaskIO of a task in a worker thread: topic readers and writers talk to a LogHost in the main
// thread over `port` (see protocol.ts); generators, files and stdout are local as everywhere. The
// port stays open (and keeps the thread alive) until its owner closes it, after the task is done.
import type { MessagePort } from 'node:worker_threads'
import type { Clock } from '../../../core/time.ts'
import { type TaskIO, taskIO } from '../task-io.ts'
import { Link } from './link.ts'
import { RemoteSinkWriter } from './remote-sink.ts'
import { RemoteSourceReader } from './remote-source.ts'

export function remoteIO(port: MessagePort, o: { clock: Clock; exactlyOnce: boolean }): TaskIO {
  const link = new Link(port)
  return taskIO(
    {
      source: (spec) => new RemoteSourceReader(link, spec),
      sink: (spec, encode) => new RemoteSinkWriter(link, spec, { exactlyOnce: o.exactlyOnce, encode }),
    },
    o,
  )
}
