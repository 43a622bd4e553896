// The server layer: network listeners over the broker.
export { KafkaListener, type KafkaListenerOptions } from './kafka/listener.ts'
export { startHttp, type HttpServer } from './http/server.ts'
