// Components and WASI command modules: JavaScript through componentize-js, prebuilt .wasm through
// jco transpile (once, at build time), all into artifacts the runtime loads like any other.
export { buildComponentArtifact, prepareUploadedArtifact, prepareUploadedArtifactOffThread, wasmKind } from './prepare.js'
export type { ComponentBuildOptions, ComponentBuildResult, UploadOptions } from './prepare.js'
export { admitHostFolders, parseAllowFiles } from './allow-files.js'
export type { AllowedFolder } from './allow-files.js'
export { buildComponentFunction, buildAnyFunction, buildWasmFile, functionNameFromFile } from './build.js'
export type { ComponentFunctionBuildOptions, ComponentFunctionBuildResult, ManifestFields, AnyBuildOptions } from './build.js'
export { scaffoldJsFunction, componentizeJs, detectJsStyle, writeHandlerWit, WASI_WIT_VERSION } from './js.js'
export type { JsStyle, ScaffoldOptions, ComponentizeOptions } from './js.js'
export { parseComponentManifest, manifestLanguage, COMPONENT_LANGUAGES, JS_DEFAULT_MEMORY_MIB } from './manifest.js'
export type { ComponentManifest, ComponentLanguage } from './manifest.js'
