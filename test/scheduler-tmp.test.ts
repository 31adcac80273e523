import { test } from 'vitest'
import { loadTrace } from '../scheduler/trace.js'
import { simulateFunction } from '../scheduler/sim.js'
import { FixedKeepAlivePolicy } from '../scheduler/policies/fixed.js'
import { HybridHistogramPolicy } from '../scheduler/policies/histogram.js'
import { PredictivePolicy } from '../scheduler/policies/predictive.js'
test('run', async () => {
  const tr = await loadTrace('/work/shared/data/azure-functions/azure2019_100fn_per_minute.csv')
  const ps = [new FixedKeepAlivePolicy(), new HybridHistogramPolicy(), new PredictivePolicy(JSON.parse(process.env.PO ?? '{}'))]
  const rows: string[] = []; const tot = [0, 0, 0, 0, 0, 0]
  for (const f of tr.functions) {
    const s = f.minuteCounts!.reduce((a, b) => a + b, 0); const nz = f.minuteCounts!.filter((x) => x > 0).length
    const r = ps.map((p) => simulateFunction(f, p.forFunction(f.id), p.decisionIntervalMs, tr.minutes * 60000))
    r.forEach((x, i) => { tot[2 * i] += x.coldLatencies.length; tot[2 * i + 1] += x.wastedMs / 1000 * 0.125 / 1000 })
    const c = r.map((x) => x.coldLatencies.length); const wst = r.map((x) => x.wastedMs / 1000 * 0.125 / 1000)
    if (s > 1000) rows.push(`${s}/${nz}/${Math.max(...f.minuteCounts!)} ` + r.map((x) => `${x.coldLatencies.length}c ${(x.wastedMs / 1000 * 0.125 / 1000).toFixed(1)}k`).join(' | '))
  }
  console.log(rows.join('\n')); console.log('TOTAL', tot.map((x) => x.toFixed(0)).join(' '))
})
