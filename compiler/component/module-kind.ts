// What a core .wasm module is, for the one-line refusal when Jaegis cannot run it: a WASI reactor (a
// library for a host that calls into it), a Spin 1.x HTTP module, or a command with foreign imports.

/** What Jaegis runs, said once for every refusal. */
export const ACCEPTED_WASM = 'Jaegis runs WASI preview-1 command modules (_start, importing only wasi_snapshot_preview1), components exporting wasi:http/incoming-handler@0.2.x or wasi:cli/run@0.2.x, and AssemblyScript functions'

/** Why a core module cannot be deployed as a WASI command, in one line, or undefined when it can. */
export function commandModuleProblem(module: WebAssembly.Module, preview1Module: string, provided: ReadonlySet<string>): string | undefined {
  const exports = WebAssembly.Module.exports(module)
  const has = (name: string) => exports.some((e) => e.name === name && e.kind === 'function')
  const foreign = WebAssembly.Module.imports(module).filter((i) => i.module !== preview1Module)
  const unprovided = WebAssembly.Module.imports(module).filter((i) => i.module === preview1Module && !provided.has(i.name))
  const hosts = [...new Set(foreign.map((i) => i.module))]
  const needs = hosts.length > 0 ? `, and it needs a host that provides ${hosts.join(', ')} (${foreign.length} imports)` : ''
  // Spin 1.x modules (the pre-component "spin-http" interface) may also export _start: recognise them first.
  if (has('handle-http-request')) {
    return `the module is a Spin 1.x HTTP module (it exports handle-http-request, Spin's pre-component interface)${needs}: rebuild it with Spin SDK 2 or later as a wasi:http component, or as a WASI command that answers CGI-style. ${ACCEPTED_WASM}`
  }
  if (!has('_start') && has('_initialize')) {
    return `the module is a WASI reactor, a library a host calls into (it exports _initialize and no _start)${needs}; it cannot answer requests on its own. ${ACCEPTED_WASM}`
  }
  if (foreign.length > 0) return `the module imports ${foreign.length} functions from ${hosts.join(', ')}, which Jaegis does not provide (first: ${foreign[0]!.module}.${foreign[0]!.name}). ${ACCEPTED_WASM}`
  if (unprovided.length > 0) return `the module imports ${unprovided.map((i) => `${i.module}.${i.name}`).join(', ')}, which this host's WASI preview 1 does not implement`
  if (!has('_start')) return `the module has no _start export: build it as a WASI command (e.g. a C or Rust program with main() for wasm32-wasi). ${ACCEPTED_WASM}`
  if (!exports.some((e) => e.name === 'memory' && e.kind === 'memory')) return 'the module does not export its memory'
  return undefined
}
