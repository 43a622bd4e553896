// The layering rule of docs/ARCHITECTURE.md: a layer imports only from layers before it.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'

/** Layers in order; a layer may import from its own folder and from earlier ranks. */
const LAYERS: Record<string, number> = {
  core: 0,
  protocol: 1,
  log: 2,
  broker: 3,
  server: 4,
  engine: 5,
  api: 6,
  sql: 6,
  connectors: 7,
  cli: 8,
  console: 8,
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

/** Upward or unknown-layer imports among `files` (path relative to src → source text). */
function layerViolations(files: Record<string, string>): string[] {
  const problems: string[] = []
  for (const [file, source] of Object.entries(files)) {
    const from = file.split('/')[0]!
    if (!(from in LAYERS)) {
      problems.push(`${file}: '${from}' is not a layer of docs/ARCHITECTURE.md`)
      continue
    }
    for (const m of source.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2]!
      if (!spec.startsWith('.')) continue
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec))
      const to = target.split('/')[0]!
      if (target.startsWith('..')) problems.push(`${file}: imports ${spec} from outside src/`)
      else if (to !== from && !(LAYERS[to]! < LAYERS[from]!))
        problems.push(`${file}: ${from} must not import ${to} (${spec})`)
    }
  }
  return problems
}

function sourceFiles(dir: string, base = dir): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) Object.assign(out, sourceFiles(full, base))
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
      out[path.relative(base, full).split(path.sep).join('/')] = fs.readFileSync(full, 'utf8')
    }
  }
  return out
}

test('no layer imports from a later layer', () => {
  const files = sourceFiles(path.resolve(import.meta.dirname, '../src'))
  assert.ok(Object.keys(files).length > 10)
  assert.deepEqual(layerViolations(files), [])
})

test('the layer check catches upward, sideways and out-of-tree imports', () => {
  assert.deepEqual(
    layerViolations({
      'core/a.ts': "import { x } from '../log/index.ts'\n",
      'log/b.ts': "import { y } from '../core/index.ts'\nexport { z } from './c.ts'\n",
      'api/c.ts': "import type { Q } from '../sql/q.ts'\n",
      'protocol/d.ts': "const m = await import('../broker/x.ts')\n",
      'log/e.ts': "import t from '../../test/helpers/tmp.ts'\n",
      'extras/f.ts': '',
    }),
    [
      'core/a.ts: core must not import log (../log/index.ts)',
      'api/c.ts: api must not import sql (../sql/q.ts)',
      'protocol/d.ts: protocol must not import broker (../broker/x.ts)',
      'log/e.ts: imports ../../test/helpers/tmp.ts from outside src/',
      "extras/f.ts: 'extras' is not a layer of docs/ARCHITECTURE.md",
    ],
  )
})
