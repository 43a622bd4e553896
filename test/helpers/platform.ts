// Starts the whole platform in this process on free ports, for protocol-level tests.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { TestContext } from 'node:test'
import { type Platform, type PlatformOptions, startPlatform } from '../../src/server/platform.ts'

export async function testPlatform(
  t: TestContext,
  overrides: Partial<PlatformOptions> = {},
): Promise<Platform> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'riffle-platform-'))
  const platform = await startPlatform({
    dataDir,
    kafka: { host: '127.0.0.1', port: 0 },
    http: null,
    defaultPartitions: 1,
    autoCreateTopics: true,
    maxRequestBytes: 1024 * 1024,
    topicDefaults: {},
    initialRebalanceDelayMs: 0,
    maintenanceIntervalMs: 0,
    ...overrides,
  })
  // One hook, in order: the platform closes before its directory goes.
  t.after(async () => {
    await platform.close()
    fs.rmSync(dataDir, { recursive: true, force: true })
  })
  return platform
}
