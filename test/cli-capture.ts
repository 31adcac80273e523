// A CommandContext that records the bytes a command writes, for tests: `lines` are the complete
// (newline-terminated) lines of stdout, so output that forgets its newlines shows up as missing lines.
import { withLines, type CommandContext } from '../cli/command.js'

export interface CapturedContext extends CommandContext {
  /** Everything written to stdout, byte for byte. */
  readonly stdout: string
  /** Everything written to stderr, byte for byte. */
  readonly stderr: string
  /** stdout's newline-terminated lines, without their newlines (an unterminated tail is left out). */
  readonly lines: string[]
  /** stderr's newline-terminated lines. */
  readonly errors: string[]
}

const complete = (s: string) => s.split('\n').slice(0, -1)

export function captureContext(cwd: string, env: Record<string, string | undefined> = {}): CapturedContext {
  let stdout = ''
  let stderr = ''
  const ctx = withLines({ out: (t) => { stdout += t }, err: (t) => { stderr += t }, isTTY: false, env, cwd })
  return Object.defineProperties(ctx, {
    stdout: { get: () => stdout },
    stderr: { get: () => stderr },
    lines: { get: () => complete(stdout) },
    errors: { get: () => complete(stderr) },
  }) as CapturedContext
}
