// The `jaegis` command: picks a command and is the one error boundary (`jaegis <cmd>: <message>`).
import { isJaegisError } from '@jaegis/runtime'
import { UsageError, withLines, type Command, type CommandContext } from './command.js'

const LOADERS: Record<string, () => Promise<{ command: Command }>> = {
  new: () => import('./commands/new.js'),
  build: () => import('./commands/build.js'),
  keys: () => import('./commands/keys.js'),
  deploy: () => import('./commands/deploy.js'),
  invoke: () => import('./commands/invoke.js'),
  list: () => import('./commands/list.js'),
  logs: () => import('./commands/logs.js'),
  rm: () => import('./commands/rm.js'),
  rollback: () => import('./commands/rollback.js'),
  serve: () => import('./commands/serve.js'),
  control: () => import('./commands/control.js'),
  host: () => import('./commands/host.js'),
  site: () => import('./commands/site.js'),
  explain: () => import('./commands/explain.js'),
  sim: () => import('./commands/sim.js'),
  quantum: () => import('./commands/quantum.js'),
  topo: () => import('./commands/topo.js'),
  forecast: () => import('./commands/forecast.js'),
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], ctx: CommandContext = processContext()): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    ctx.out(await overview())
    return name ? 0 : 2
  }
  if (name === '--version' || name === '-v') {
    const { cliVersion } = await import('./root.js')
    ctx.out(cliVersion() + '\n')
    return 0
  }
  const load = LOADERS[name]
  if (!load) {
    ctx.err(`jaegis: unknown command "${name}"\n\n${await overview()}`)
    return 2
  }
  let command: Command | undefined
  try {
    command = (await load()).command
    if (rest.includes('--help') || rest.includes('-h')) {
      ctx.out(command.usage + '\n')
      return 0
    }
    return await command.run(rest, ctx)
  } catch (err) {
    if (err instanceof UsageError) {
      const usage = err.usage ?? command?.usage.split('\n')[0]
      ctx.err(`jaegis ${name}: ${err.message}\n${usage ? usage + '\n' : ''}`)
      return 2
    }
    const message = isJaegisError(err) || err instanceof Error ? (err as Error).message : String(err)
    ctx.err(`jaegis ${name}: ${message}\n`)
    if (process.env.JAEGIS_DEBUG && err instanceof Error) ctx.err(`${err.stack}\n`)
    return 1
  }
}

async function overview(): Promise<string> {
  const lines = ['Usage: jaegis <command> [options]   (jaegis <command> --help for more)', '', 'Commands:']
  for (const [name, load] of Object.entries(LOADERS)) {
    try {
      lines.push(`  ${name.padEnd(10)} ${(await load()).command.summary}`)
    } catch {
      // a command whose module is missing from this build is not listed
    }
  }
  return lines.join('\n') + '\n'
}

function processContext(): CommandContext {
  return withLines({
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
  })
}
