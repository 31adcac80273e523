// Runs the built `jaegis` binary (bin/jaegis.js -> dist/) as a user would, for end-to-end tests of the
// offline commands. The tests need `npm run build` (npm test runs it) so that dist/ is current.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from '../helpers.js'

const run = promisify(execFile)

/** Exit code, stdout and stderr of `jaegis ...args` in `cwd`. */
export async function jaegis(args: string[], cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'bin', 'jaegis.js'), ...args], { cwd, maxBuffer: 64 << 20 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}
