#!/usr/bin/env node
// The CLI is TypeScript run by Node's type stripping; this shim only forwards to it.
import { main } from '../src/cli/main.ts'

process.exitCode = await main(process.argv.slice(2))
