// The workspace packages, for the install-size benchmark and the package tests (test/packages.test.ts): which folder holds
// which package, and what an edge host installs. One owner of those lists.
/** Folder -> package name, in dependency order (a package after everything it depends on). */
export const WORKSPACE_PACKAGES: [folder: string, name: string][] = [
  ['artifact', '@jaegis/artifact'],
  ['runtime', '@jaegis/runtime'],
  ['gateway', '@jaegis/gateway'],
  ['functions/sdk', '@jaegis/sdk'],
  ['compiler', '@jaegis/compiler'],
  ['kernels', '@jaegis/kernels'],
  ['scheduler', '@jaegis/scheduler'],
  ['server', '@jaegis/server'],
  ['cli', 'jaegis'],
]
/** What the README's edge-host program imports. */
export const EDGE_PACKAGES: string[] = ['@jaegis/runtime', '@jaegis/gateway']
/** Packages an edge host must never pull: the compilers and their toolchains. */
export const COMPILER_PACKAGES: string[] = ['@bytecodealliance/jco', '@bytecodealliance/jco-transpile', '@bytecodealliance/componentize-js', '@bytecodealliance/wizer', 'binaryen', 'assemblyscript', 'typescript']
