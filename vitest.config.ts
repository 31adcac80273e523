import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineConfig } from 'vitest/config'

// Tests run the TypeScript sources: a workspace package imported by name (`@jaegis/runtime`,
// `@jaegis/kernels/topology`) is aliased to the .ts file its package.json names under the `source`
// export condition, the same files the tests import by path, so there is one copy of each module.
// (An alias, not `resolve.conditions`: vitest passes conditions on to node as --conditions, which
// worker threads and forked workers inherit, and those run the built dist/ JavaScript.)
const root = import.meta.dirname
const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces as string[]
const alias = workspaces.flatMap((folder) => {
  const pkg = JSON.parse(readFileSync(join(root, folder, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string | { source?: string }> }
  return Object.entries(pkg.exports ?? {}).flatMap(([sub, target]) => {
    if (typeof target !== 'object' || !target.source) return []
    const id = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`
    return [{ find: new RegExp(`^${id.replace(/[/.]/g, '\\$&')}$`), replacement: join(root, folder, target.source) }]
  })
})

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**', '**/build/**', '**/assembly/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
})
