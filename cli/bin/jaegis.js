#!/usr/bin/env node
// The jaegis command. The TypeScript is compiled to dist/ by `npm run build` (npm start and npm test run it).
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const entry = new URL('../dist/main.js', import.meta.url)
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('jaegis: not built yet; run `npm run build` (or `npm start`) in the jaegis folder first\n')
  process.exit(1)
}
const { main } = await import(entry.href)
process.exitCode = await main(process.argv.slice(2))
