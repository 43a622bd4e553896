// Loads a pipeline module's default export and compiles it: shared by `riffle run` and the worker
// threads it starts (each compiles its own copy: a job holds functions, which cannot be sent).
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { isPipeline } from '../../api/index.ts'
import { RiffleError } from '../../core/errors.ts'
import type { Job } from '../../engine/index.ts'

export async function loadJob(file: string): Promise<Job> {
  const absolute = path.resolve(file)
  let mod: { default?: unknown }
  try {
    mod = (await import(pathToFileURL(absolute).href)) as { default?: unknown }
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' &&
      String((e as Error).message).includes(absolute)
    )
      throw new RiffleError('INVALID_ARGUMENT', `cannot find the pipeline module ${absolute}`)
    throw e
  }
  if (!isPipeline(mod.default))
    throw new RiffleError(
      'INVALID_ARGUMENT',
      `${absolute} must export a pipeline as default: export default pipeline('name') … (see README.md, "Pipelines")`,
    )
  return mod.default.compile()
}
