// Where a worker script of ours runs from: always the built JavaScript, also when tests run the
// TypeScript sources (worker threads and processes are started without a TypeScript loader).

/**
 * The built `name.js` beside the calling module `here` (its `import.meta.url`); from a `.ts` source,
 * the same file under `distFromSource`, the path from the source's folder to its built folder.
 */
export function builtScript(name: string, here: string, distFromSource: string): URL {
  return here.endsWith('.ts') ? new URL(`${distFromSource}/${name}.js`, here) : new URL(`./${name}.js`, here)
}
