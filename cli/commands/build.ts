// jaegis build [dir]: source -> artifact folder (dir/build by default).
import { resolve } from 'node:path'
import { buildAnyFunction } from '@jaegis/compiler'
import type { Command } from '../command.js'
import { GLOBAL_USAGE, SIGN_KEY_OPTION, SIGN_KEY_USAGE, parse, signingKey } from '../options.js'
import { spinner } from '../spinner.js'

export const command: Command = {
  name: 'build',
  summary: 'build a function folder into an artifact',
  usage: `Usage: jaegis build [dir] [--out <dir>] [--sign-key <file>]

Compiles the function in <dir> (default .) at -O3, runs its init() and snapshots the result.
With a signing key, signs the digest and configuration with ML-DSA-65 and Ed25519 (docs/signing.md).

Options:
  --out <dir>  artifact folder (default: <dir>/build)
${SIGN_KEY_USAGE}
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { out: { type: 'string' }, ...SIGN_KEY_OPTION })
    const dir = resolve(ctx.cwd, positionals[0] ?? '.')
    const key = signingKey(values, ctx) // before building: a bad key path fails fast
    const spin = spinner(`building ${dir}`, ctx.isTTY && !values.json)
    try {
      const r = await buildAnyFunction(dir, { ...(values.out ? { outDir: resolve(ctx.cwd, values.out) } : {}), ...(key ? { signingKey: key } : {}), onLog: (level, message) => ctx.err(`init ${level}: ${message}\n`) })
      spin.stop()
      const m = r.artifact.meta
      if (values.json) ctx.out(JSON.stringify({ name: m.config.name, digest: m.digest, sizeBytes: m.sizeBytes, outDir: r.outDir, language: r.language, ...(m.signature ? { signedBy: m.signature.keyId } : {}) }) + '\n')
      else ctx.out(`built ${m.config.name}: ${r.outDir} (${(m.sizeBytes / 1024).toFixed(1)} KiB, sha256 ${m.digest.slice(0, 16)}…, ${r.language}${m.signature ? `, signed by ${m.signature.keyId}` : ''})\n`)
      return 0
    } catch (err) {
      spin.stop()
      throw err
    }
  },
}
