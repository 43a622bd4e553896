// Consumer groups: the classic rebalance protocol and durable committed offsets.
export { GroupCoordinator, type GroupCoordinatorOptions } from './coordinator.ts'
export { CONSUMER_OFFSETS_TOPIC, CONSUMER_OFFSETS_CONFIGS } from './offset-store.ts'
