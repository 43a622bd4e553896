// The CLI layer's public face: the `riffle` entry point.
export { main } from './main.ts'
