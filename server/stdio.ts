// The server's own output must never end the process: with stdout or stderr on a full disk (ENOSPC)
// or a closed pipe (EPIPE), a write emits 'error' on the stream, and an unheard 'error' is fatal.
let installed = false

/** Makes failed writes to stdout and stderr lose their text instead of ending the process. Idempotent. */
export function surviveFailedStdioWrites(): void {
  if (installed) return
  installed = true
  // Nowhere is left to report a failed write to: the text is lost, the process keeps serving.
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {})
}
