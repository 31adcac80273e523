// A progress line on stderr when it is a terminal; silent otherwise (pipes and CI get no noise).
export function spinner(text: string, isTTY: boolean): { stop(final?: string): void } {
  if (!isTTY) return { stop() {} }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
  let i = 0
  const timer = setInterval(() => process.stderr.write(`\r${frames[i++ % frames.length]} ${text}`), 80)
  return {
    stop(final?: string) {
      clearInterval(timer)
      process.stderr.write(`\r\x1b[K${final ? final + '\n' : ''}`)
    },
  }
}
