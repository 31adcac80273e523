import { test } from 'vitest'
import { loadTopology } from '../kernels/topology/index.js'
import { syntheticFleet } from '../scheduler/placement/fleet.js'
import { GreedyLatencyPlacer } from '../scheduler/placement/placer.js'
import { syntheticWorkload } from '../scheduler/placement/workload.js'
test('run', async () => {
  const topo = await loadTopology('/work/shared/data/topologyzoo/Cogentco.graphml')
  let t = performance.now()
  const fleet = syntheticFleet(topo, { hosts: 10000 })
  const fns = syntheticWorkload(fleet, { functions: 100000 })
  console.log('setup', performance.now() - t)
  for (let i = 0; i < 3; i++) {
    t = performance.now()
    const placer = new GreedyLatencyPlacer(fleet)
    const plan = placer.plan(fns)
    const planMs = performance.now() - t
    t = performance.now()
    const again = placer.plan(fns, plan)
    const againMs = performance.now() - t
    const busiest = [...plan.byFunction.values()].flat().reduce((m, p) => m.set(p.host, (m.get(p.host) ?? 0) + p.instances), new Map<string, number>())
    const victim = [...busiest].sort((a, b) => b[1] - a[1])[0][0]
    t = performance.now()
    const re = placer.removeHost(again, victim)
    console.log({ planMs, againMs, moved: again.movedInstances, replanMs: performance.now() - t, reMoved: re.movedInstances, placed: plan.placedInstances, unplaced: [...plan.unplaced.values()].reduce((a, b) => a + b, 0), lat: plan.meanLatencyMs, hostsUsed: plan.hostsUsed })
  }
})
