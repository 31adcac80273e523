import { test } from 'vitest'
import { loadTrace } from '../scheduler/trace.js'
import { simulateFunction } from '../scheduler/sim.js'
import { PredictivePolicy } from '../scheduler/policies/predictive.js'
test('run', async () => {
  const tr = await loadTrace('/work/shared/data/azure-functions/azure2019_100fn_per_minute.csv')
  const f = tr.functions.find((x) => x.minuteCounts!.reduce((a, b) => a + b, 0) === Number(process.env.FN ?? 27395))!
  const p = new PredictivePolicy(JSON.parse(process.env.PO ?? '{}'))
  const byMin = new Map<number, number>()
  const r = simulateFunction(f, p.forFunction(f.id), p.decisionIntervalMs, tr.minutes * 60000, {})
  for (const t of r.coldTimesMs) byMin.set(Math.floor(t / 60000), (byMin.get(Math.floor(t / 60000)) ?? 0) + 1)
  console.log([...byMin].map(([m, c]) => `${m}:${c}(n${f.minuteCounts![m]})`).join(' '))
})
