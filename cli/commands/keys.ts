// jaegis keys new: a hybrid signing key pair (ML-DSA-65 + Ed25519) for jaegis build --sign-key, and
// the public key line a host's trust list holds. Formats are artifact/signing's.
import { constants } from 'node:fs'
import { mkdir, open, unlink } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { encodePrivateKey, encodePublicKey, generateSigningKey, JaegisError } from '@jaegis/artifact'
import { UsageError, type Command } from '../command.js'
import { GLOBAL_USAGE, parse } from '../options.js'

export const command: Command = {
  name: 'keys',
  summary: 'make a signing key pair for signed artifacts',
  usage: `Usage: jaegis keys new [--out <dir>] [--name <name>] [--comment <text>] [--force]

Makes a hybrid signing key (ML-DSA-65 and Ed25519, both sign every artifact) and writes
  <dir>/<name>.key  the private key (mode 0600): give it to jaegis build --sign-key, keep it secret
  <dir>/<name>.pub  the public key line: add it to a host's trust list (jaegis serve --trust)

Options:
  --out <dir>       where the files go (default: $HOME/.jaegis/keys)
  --name <name>     file name without extension (default: signing)
  --comment <text>  text after the public key (default: <name>)
  --force           overwrite existing key files (the old private key is lost)
${GLOBAL_USAGE}`,
  async run(argv, ctx) {
    const { values, positionals } = parse(argv, { out: { type: 'string' }, name: { type: 'string' }, comment: { type: 'string' }, force: { type: 'boolean', default: false } })
    if (positionals[0] !== 'new' || positionals.length > 1) throw new UsageError(positionals[0] === undefined ? 'missing the subcommand: jaegis keys new' : `unknown subcommand "${positionals.join(' ')}"`)
    const name = values.name ?? 'signing'
    if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) throw new UsageError(`--name ${JSON.stringify(name)} must be a plain file name`)
    const home = ctx.env.HOME
    if (values.out === undefined && !home) throw new UsageError('no --out given and $HOME is not set')
    const dir = resolve(ctx.cwd, values.out ?? join(home!, '.jaegis', 'keys'))
    const keyPath = join(dir, `${name}.key`)
    const pubPath = join(dir, `${name}.pub`)
    const key = generateSigningKey()
    const comment = values.comment ?? name
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await writeNew(keyPath, encodePrivateKey(key, comment), 0o600, values.force ?? false)
    await writeNew(pubPath, encodePublicKey(key.publicKey, comment) + '\n', 0o644, values.force ?? false)
    if (values.json) ctx.out(JSON.stringify({ keyId: key.publicKey.keyId, privateKey: keyPath, publicKey: pubPath }) + '\n')
    else {
      ctx.out(`key ${key.publicKey.keyId} (ML-DSA-65 + Ed25519)\n  private: ${keyPath} (mode 0600; keep it secret)\n  public:  ${pubPath}\n`)
      ctx.out(`sign:  jaegis build --sign-key ${keyPath}   (or JAEGIS_SIGN_KEY=${keyPath})\ntrust: jaegis serve --trust ${pubPath} --require-signed\n`)
    }
    return 0
  },
}

/** Creates `path` with `mode`; an existing file is an error unless `force`. Never widens an existing file's mode. */
async function writeNew(path: string, text: string, mode: number, force: boolean): Promise<void> {
  if (force) await unlink(path).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)))
  let file
  try {
    // O_EXCL: no check-then-write race, and a symlink planted at `path` is not followed.
    file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new JaegisError('CONFLICT', `${path} exists; keeping it (pass --force to replace the key pair, or --name / --out for another)`)
    throw err
  }
  try {
    await file.chmod(mode) // the umask may have narrowed or (for the .pub) changed it
    await file.writeFile(text)
  } finally {
    await file.close()
  }
}
