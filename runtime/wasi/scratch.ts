// The per-request scratch folder a command module sees at /tmp: a host folder made on first use,
// bounded in bytes, removed after the request (the command host calls clear()).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Where the guest sees its scratch folder. */
export const SCRATCH_GUEST_PATH = '/tmp'

/** One request's /tmp. Bytes written count against `limitBytes` (the function's memory limit): past it writes fail with ENOSPC. */
export class ScratchDir {
  readonly limitBytes: number
  /** Bytes the files in the folder grew by during this request (overwrites in place cost nothing). */
  usedBytes = 0
  private dir: string | undefined
  private readonly parent: string

  /** `parent` is where the host folder is made. @default os.tmpdir() */
  constructor(limitBytes: number, parent: string = tmpdir()) {
    this.limitBytes = limitBytes
    this.parent = parent
  }

  /** The host folder, made now if the request has not used it yet. */
  get host(): string {
    return (this.dir ??= mkdtempSync(join(this.parent, 'jaegis-scratch-')))
  }

  /** Whether the folder exists (the guest touched /tmp in this request). */
  get used(): boolean {
    return this.dir !== undefined
  }

  /** Removes the folder and everything in it; the next use makes a new, empty one. */
  clear(): void {
    if (this.dir) rmSync(this.dir, { recursive: true, force: true })
    this.dir = undefined
    this.usedBytes = 0
  }
}
