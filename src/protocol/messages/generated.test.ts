// The generated files are committed; this checks they are what the generator produces today. The
// Kafka schemas are not part of the project, so only the comparison itself is skipped without them.

import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import {
  DEFAULT_SCHEMA_DIR,
  GENERATED_MARKER,
  OUTPUT_DIR,
  existingGeneratedFiles,
  generate,
  stripComments,
} from '../../../scripts/gen-protocol.ts'

const schemasPresent = existsSync(DEFAULT_SCHEMA_DIR)

describe('generated messages', () => {
  test(
    'match the output of scripts/gen-protocol.ts byte for byte',
    {
      skip: schemasPresent
        ? false
        : `Kafka message schemas not found at ${DEFAULT_SCHEMA_DIR}; cannot regenerate to compare`,
    },
    () => {
      const expected = generate(DEFAULT_SCHEMA_DIR)
      assert.deepEqual(existingGeneratedFiles(), [...expected.keys()].sort())
      for (const [name, text] of expected) {
        const actual = readFileSync(join(OUTPUT_DIR, name), 'utf8')
        assert.ok(actual === text, `${name} is stale: run npx node scripts/gen-protocol.ts`)
      }
    },
  )

  test('every generated file carries the generated marker', () => {
    const files = existingGeneratedFiles()
    assert.ok(files.includes('index.ts') && files.includes('produce.ts') && files.includes('schemas.ts'))
    for (const f of files) assert.ok(readFileSync(join(OUTPUT_DIR, f), 'utf8').startsWith(GENERATED_MARKER))
  })

  test('schema comment stripping keeps // inside strings', () => {
    const text = '{ "a": "http://x", // note\n "b": "\\"//" }'
    assert.deepEqual(JSON.parse(stripComments(text)), { a: 'http://x', b: '"//' })
  })
})
