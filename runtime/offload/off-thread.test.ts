// OffThread: calls answered on another thread, errors with their codes, a stuck call stopped by its
// limit (the thread is replaced), and a process that is not held open once nothing is in flight.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { JaegisError } from '../errors.js'
import { OffThread } from './off-thread.js'

const dir = mkdtempSync(join(tmpdir(), 'jaegis-off-thread-'))
const built = pathToFileURL(join(import.meta.dirname, '..', 'dist', 'offload', 'off-thread.js')).href
const script = join(dir, 'worker.mjs')
writeFileSync(script, `import { isMainThread } from 'node:worker_threads'
import { serveOffThread } from '${built}'
import { JaegisError } from '${pathToFileURL(join(import.meta.dirname, '..', 'dist', 'errors.js')).href}'
serveOffThread({
  where: () => (isMainThread ? 'main' : 'worker'),
  add: ({ a, b }) => a + b,
  refuse: () => { throw new JaegisError('INVALID_WASM', 'not wasm') },
  spin: () => { for (;;) {} },
})
`)
const thread = new OffThread(pathToFileURL(script))
afterAll(() => thread.close())

describe('OffThread', () => {
  it('runs calls on another thread and brings their answers and JaegisErrors back', async () => {
    expect(await thread.call('where', {})).toBe('worker')
    expect(await thread.call('add', { a: 2, b: 3 })).toBe(5)
    const err = await thread.call('refuse', {}).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(JaegisError)
    expect(err).toMatchObject({ code: 'INVALID_WASM', message: 'not wasm' })
  })

  it('stops a call past its limit, fails it with the given error, and serves the next call on a new thread', async () => {
    const t0 = performance.now()
    const err = await thread.call('spin', {}, { timeoutMs: 300, timeoutError: () => new JaegisError('INVALID_ARTIFACT', 'too slow') }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'INVALID_ARTIFACT', message: 'too slow' })
    expect(performance.now() - t0).toBeLessThan(5_000)
    expect(await thread.call('add', { a: 1, b: 1 })).toBe(2)
  })

  it('holds the process open while a call is in flight, and not after', () => {
    const program = `import { OffThread } from '${built}'
const t = new OffThread(new URL('${pathToFileURL(script).href}'))
console.log(await t.call('add', { a: 40, b: 2 }))`
    const file = join(dir, 'program.mjs')
    writeFileSync(file, program)
    // Exits by itself (execFileSync would time out otherwise) after printing the answer.
    expect(execFileSync(process.execPath, [file], { timeout: 20_000 }).toString().trim()).toBe('42')
  })
})
