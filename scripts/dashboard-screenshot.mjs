#!/usr/bin/env node
// Regenerates docs/dashboard.png: a real `startServer` with the example functions under a minute of
// load, the simulator run on the shared example trace, photographed by Debian's Chromium.
// Usage: node scripts/build.mjs && node scripts/dashboard-screenshot.mjs [trace.csv]
import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { readArtifact } from '../dist/runtime/index.js'
import { startServer } from '../dist/server/index.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const trace = process.argv[2] ?? join(root, '..', 'shared', 'data', 'azure-functions', 'azure2019_example_per_minute.csv')
const built = join(root, 'build', 'functions')
const server = await startServer({
  port: 0, token: 'shot', dataDir: mkdtempSync(join(tmpdir(), 'jaegis-shot-')),
  deployOnStart: await Promise.all(readdirSync(built).sort().map((n) => readArtifact(join(built, n)))),
  dashboard: { sampleMs: 1000, forecastBucketMs: 3000, simTrace: trace },
})
let loading = true
const load = (async () => {
  for (let i = 0; loading; i++) {
    const n = 4 + Math.round(3 * Math.sin(i / 15) + 3)
    await Promise.all(Array.from({ length: n }, () => fetch(`${server.url}/fn/hello?name=shot`).then((r) => r.arrayBuffer())))
    if (i % 7 === 0) await fetch(`${server.url}/fn/echo`, { method: 'POST', body: 'not json' }).then((r) => r.arrayBuffer())
    if (i % 9 === 0) await fetch(`${server.url}/fn/echo`, { method: 'POST', body: new Uint8Array(2 * 1024 * 1024) }).then((r) => r.arrayBuffer())
    await new Promise((r) => setTimeout(r, 50))
  }
})()
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] })
const page = await browser.newPage({ viewport: { width: 1100, height: 1270 } })
await page.goto(`${server.url}/_dashboard/`)
await page.fill('#token', 'shot')
await page.click('#login-form button')
await page.waitForSelector('#dash:not([hidden])')
await page.click('#sim-shared')
await page.waitForSelector('#sim-plot svg polyline', { state: 'attached', timeout: 120_000 })
await new Promise((r) => setTimeout(r, 45_000))
await page.selectOption('#fn', 'hello')
await page.evaluate(() => window.scrollTo(0, 0))
// The functions table and the charts (the simulator panel is below; docs/dashboard.md describes it).
await page.screenshot({ path: join(root, 'docs', 'dashboard.png') })
loading = false
await load
await browser.close()
await server.close(500)
console.log('wrote docs/dashboard.png')
