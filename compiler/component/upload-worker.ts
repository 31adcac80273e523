// The thread an upload's parts are derived on (jco's transpile and the metering take seconds for a
// large component): see prepareUploadedArtifactOffThread.
import { serveOffThread } from '@jaegis/runtime'
import { prepareUploadedArtifact, type UploadOptions } from './prepare.js'

serveOffThread({
  prepareUpload: ({ meta, wasm, options }: { meta: unknown; wasm: Uint8Array; options: UploadOptions }) => prepareUploadedArtifact(meta, wasm, options),
})
