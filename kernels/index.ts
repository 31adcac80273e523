// Public entry point of jaegis/kernels: typed wrappers over the statevector, topology and forecast
// kernels (AssemblyScript compiled to wasm, loaded through the runtime's module cache).
export * as statevector from './statevector/index.js'
export * as topology from './topology/index.js'
export * as forecast from './forecast/index.js'
