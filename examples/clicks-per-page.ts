// Clicks per page per minute, from the topic `clicks` (JSON) to the topic `clicks-per-minute`.
//
//   riffle run examples/clicks-per-page.ts --data-dir ./data
//
// Event time is the click's own `ts`; clicks may arrive up to 5 s out of order. Every minute of
// event time, each page's count is written once (exactly once: read the output read_committed),
// keyed by page, as {"key":"/home","start":…,"end":…,"value":42}.
import { boundedOutOfOrderness, count, pipeline, topic, tumbling } from 'riffle'

export interface Click {
  page: string
  user: string
  /** Epoch milliseconds. */
  ts: number
}

const p = pipeline('clicks-per-page', { checkpointEvery: '10s', guarantee: 'exactly-once' })

p.from(topic<Click>('clicks', { format: 'json' }))
  .withEventTime((c) => c.ts, boundedOutOfOrderness('5s'))
  .filter((c) => c.page !== '/health')
  .keyBy((c) => c.page)
  .window(tumbling('1m'))
  .aggregate(count())
  .to(topic('clicks-per-minute'))

export default p
