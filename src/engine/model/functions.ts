// User function shapes shared by state (AggregatingState) and windowing (incremental window
// aggregation). Declared with method syntax so that an AggregateFunction<number, …> can be stored
// in a plan whose node configs are typed with `unknown` (methods are checked bivariantly).

/**
 * Incremental aggregation, Flink's AggregateFunction. `add` and `merge` may mutate and return their
 * accumulator argument. `merge` is required because merging windows (sessions) combine partial
 * aggregates. Accumulators are stored in snapshots, so they must be serialisable (serde/plain.ts).
 */
export interface AggregateFunction<IN = unknown, ACC = unknown, OUT = unknown> {
  createAccumulator(): ACC
  add(value: IN, accumulator: ACC): ACC
  getResult(accumulator: ACC): OUT
  merge(a: ACC, b: ACC): ACC
}
