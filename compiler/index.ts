// Public entry point of jaegis/compiler: function source -> artifact.
export { build, MANIFEST_FILE } from './build.js'
export type { BuildOptions, BuildResult } from './build.js'
export { parseManifest, MANIFEST_DEFAULTS } from './manifest.js'
export type { Manifest } from './manifest.js'
export { compileAssemblyScript, SDK_DIR } from './assemblyscript.js'
export { preinitialize, snapshotModule } from './preinit.js'
export { scaffoldJsFunction, buildAnyFunction, buildComponentFunction, buildWasmFile, functionNameFromFile, buildComponentArtifact, prepareUploadedArtifact, admitHostFolders, parseAllowFiles, componentizeJs, parseComponentManifest, manifestLanguage, detectJsStyle, wasmKind, COMPONENT_LANGUAGES, JS_DEFAULT_MEMORY_MIB, WASI_WIT_VERSION } from './component/index.js'
export type { ScaffoldOptions, JsStyle, ComponentManifest, ComponentLanguage, ComponentBuildOptions, ComponentBuildResult, ComponentFunctionBuildOptions, ComponentFunctionBuildResult, ComponentizeOptions, AllowedFolder, ManifestFields } from './component/index.js'
