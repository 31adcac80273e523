// The shape of one `jaegis` command. One file per command under cli/commands/; cli/main.ts
// parses nothing itself beyond picking the command, and is the single error boundary.

/** Builds a context's line writers from its raw writers, so the two can never disagree. */
export function withLines(ctx: Omit<CommandContext, 'line' | 'errLine'>): CommandContext {
  return { ...ctx, line: (t) => ctx.out(t + '\n'), errLine: (t) => ctx.err(t + '\n') }
}

/** What a command gets besides its own arguments. */
export interface CommandContext {
  /** Write `text` to standard output exactly as given (no newline added). */
  out(text: string): void
  /** Write `text` and a newline to standard output. */
  line(text: string): void
  /** Write `text` to standard error exactly as given (no newline added). */
  err(text: string): void
  /** Write `text` and a newline to standard error. */
  errLine(text: string): void
  /** True when stdout is a terminal (spinners and colour only then). */
  isTTY: boolean
  /** Environment variables (process.env unless a test injects others). */
  env: Record<string, string | undefined>
  /** Working directory for relative paths. */
  cwd: string
}

export interface Command {
  /** The word after `jaegis`. */
  name: string
  /** One line for `jaegis --help`. */
  summary: string
  /** Full text for `jaegis <name> --help`. */
  usage: string
  /** Runs the command; returns the process exit code. Throw a JaegisError (or UsageError) for failures. */
  run(argv: string[], ctx: CommandContext): Promise<number>
}

/** Wrong flags or arguments: the boundary prints the message and the command's usage line. */
export class UsageError extends Error {
  /** The usage line to print, for commands with more than one form. @default the first line of the command's usage */
  readonly usage?: string
  constructor(message: string, usage?: string) {
    super(message)
    this.name = 'UsageError'
    this.usage = usage
  }
}
