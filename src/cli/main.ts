// The `riffle` command: a table of subcommands, each in its own file under commands/.
import { isRiffleError } from '../core/errors.ts'
import { run, runHelp } from './commands/run.ts'
import { serve, serveHelp } from './commands/serve.ts'

interface Command {
  summary: string
  help: string
  run(argv: string[]): Promise<number>
}

const commands: Record<string, Command> = {
  serve: { summary: 'run the broker, engine and console in this process', help: serveHelp, run: serve },
  run: { summary: 'run a TypeScript pipeline (its default export) on a data directory', help: runHelp, run },
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  return `Usage: riffle <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'riffle <command> --help' for a command's options.`
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage())
    return name ? 0 : 1
  }
  const command = commands[name]
  if (!command) {
    console.error(`riffle: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  try {
    return await command.run(rest)
  } catch (e) {
    if (isRiffleError(e) || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      console.error(`riffle ${name}: ${(e as Error).message}`)
      return 1
    }
    throw e
  }
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2))
