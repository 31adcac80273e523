// The runtime's off-thread worker (off-thread.ts): signature checks, metering, glue rewriting and dirty marks for prepareAsync.
import { checkArtifactSignature, type SignaturePolicy } from '@jaegis/artifact'
import type { ArtifactMeta } from '../artifact.js'
import { sha256Hex } from '../module-cache.js'
import { meterModule, type MeterOptions } from '../wasm/meter.js'
import { serveOffThread } from './off-thread.js'
import { glueBody } from '../component/component-host.js'
import { addDirtyMarks } from '../wasm/dirty-marks.js'

serveOffThread({
  verify: ({ meta, wasm, policy }: { meta: ArtifactMeta; wasm: Uint8Array; policy: SignaturePolicy }) => checkArtifactSignature(meta, sha256Hex(wasm), policy),
  meter: ({ wasm, options }: { wasm: Uint8Array; options: MeterOptions }) => meterModule(wasm, options),
  glue: ({ source }: { source: string }) => glueBody(source),
  dirtyMarks: ({ wasm, shift }: { wasm: Uint8Array; shift: number }) => addDirtyMarks(wasm, shift),
})
