// The installed package's root folder (for bundled examples), from source or from dist/.
export { projectRoot } from '../kernels/wasm-path.js'
