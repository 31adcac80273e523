// Seeded synthetic series for validating the forecaster where no public collection is at hand:
// hourly and 5-minute traffic-like series (daily + weekly cycles, trends, level shifts, spikes,
// noise) and intermittent per-minute counts. The same seed always gives the same series.

/** Deterministic uniforms (mulberry32), standard normals (Box-Muller) and Poisson counts. */
export interface Rng { uniform(): number; normal(): number; poisson(lambda: number): number }

export function seededRng(seed: number): Rng {
  let a = seed >>> 0
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-300)) * Math.cos(2 * Math.PI * uniform())
  const poisson = (lambda: number) => {
    if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * normal()))
    const L = Math.exp(-lambda)
    let k = 0
    let p = uniform()
    while (p > L) { k++; p *= uniform() }
    return k
  }
  return { uniform, normal, poisson }
}

/** One synthetic series with its calendar periods (steps per day, per week). */
export interface SyntheticSeries { name: string; values: Float64Array; periods: number[]; kind: 'hourly' | 'five-minute' | 'intermittent' }

/** A smooth daily profile with a morning and an evening peak, random per series; mean about 1. */
function dailyProfile(r: Rng, steps: number): Float64Array {
  const peak1 = 0.3 + 0.1 * r.uniform(), peak2 = 0.7 + 0.1 * r.uniform()
  const w1 = 0.5 + r.uniform(), w2 = 0.5 + r.uniform(), depth = 0.3 + 0.6 * r.uniform()
  const p = new Float64Array(steps)
  let sum = 0
  for (let i = 0; i < steps; i++) {
    const x = i / steps
    const bump = (c: number) => Math.exp(-((Math.min(Math.abs(x - c), 1 - Math.abs(x - c)) * 10) ** 2))
    p[i] = 1 - depth + depth * 2 * (w1 * bump(peak1) + w2 * bump(peak2))
    sum += p[i]
  }
  for (let i = 0; i < steps; i++) p[i] /= sum / steps
  return p
}

/**
 * A traffic-like series: level x trend x daily profile x weekday factor, with a level shift in
 * some series, log-normal noise, occasional spikes, optionally Poisson counts.
 */
function traffic(r: Rng, n: number, stepsPerDay: number, opts: { spikes: number; noise: number }): Float64Array {
  const profile = dailyProfile(r, stepsPerDay)
  const weekend = 0.5 + 0.5 * r.uniform()
  const level = Math.exp(2 + 6 * r.uniform())
  const trend = (r.uniform() - 0.5) * 0.6 / n // up to +-30 % over the series
  const shiftAt = r.uniform() < 0.3 ? Math.floor(n * (0.3 + 0.6 * r.uniform())) : n
  const shift = 0.6 + 0.8 * r.uniform()
  const phase = Math.floor(r.uniform() * 7 * stepsPerDay)
  const counts = level < 200 && r.uniform() < 0.5
  const y = new Float64Array(n)
  let ar = 0
  for (let t = 0; t < n; t++) {
    const day = Math.floor((t + phase) / stepsPerDay) % 7
    ar = 0.6 * ar + opts.noise * r.normal()
    let mu = level * (1 + trend * t) * profile[(t + phase) % stepsPerDay] * (day >= 5 ? weekend : 1) * (t >= shiftAt ? shift : 1) * Math.exp(ar)
    if (r.uniform() < opts.spikes) mu *= 3 + 10 * r.uniform()
    y[t] = counts ? r.poisson(mu) : mu
  }
  return y
}

/** Sparse per-minute counts: a timer every `period` minutes with jitter, or Poisson bursts. */
function intermittent(r: Rng, n: number): { values: Float64Array; periods: number[] } {
  const y = new Float64Array(n)
  if (r.uniform() < 0.5) {
    const period = [5, 10, 15, 30, 60][Math.floor(r.uniform() * 5)]
    const size = 1 + Math.floor(r.uniform() * 5)
    const start = Math.floor(r.uniform() * period)
    for (let t = start; t < n; t += period) if (r.uniform() < 0.95) y[t] = r.poisson(size) + 1
    return { values: y, periods: [period] }
  }
  const rate = 0.05 + 0.3 * r.uniform()
  let burst = 0
  for (let t = 0; t < n; t++) {
    if (burst > 0) burst--
    else if (r.uniform() < 0.01) burst = 5 + Math.floor(20 * r.uniform())
    y[t] = r.poisson(burst > 0 ? rate * 20 : rate)
  }
  return { values: y, periods: [60] }
}

/**
 * `count` series of one kind from `seed`: hourly (300-800 points, periods [24, 168]), five-minute
 * (2,016-4,032 points, [288]) or intermittent per-minute (1,440 points). Parameters are chosen on
 * seeds below 1000 and reported on seeds from 1000 (see docs/kernel-forecast.md).
 */
export function syntheticSeries(kind: SyntheticSeries['kind'], count: number, seed: number): SyntheticSeries[] {
  const out: SyntheticSeries[] = []
  for (let i = 0; i < count; i++) {
    const r = seededRng(seed * 7919 + i * 104729 + (kind === 'hourly' ? 1 : kind === 'five-minute' ? 2 : 3))
    if (kind === 'hourly') {
      const n = 300 + Math.floor(500 * r.uniform())
      out.push({ name: `hourly_${seed}_${i}`, kind, periods: [24, 168], values: traffic(r, n, 24, { spikes: 0.005, noise: 0.04 + 0.1 * r.uniform() }) })
    } else if (kind === 'five-minute') {
      const n = 2016 + Math.floor(2016 * r.uniform())
      out.push({ name: `fivemin_${seed}_${i}`, kind, periods: [288], values: traffic(r, n, 288, { spikes: 0.003 + 0.01 * r.uniform(), noise: 0.05 + 0.15 * r.uniform() }) })
    } else {
      const { values, periods } = intermittent(r, 1440)
      out.push({ name: `intermittent_${seed}_${i}`, kind, periods, values })
    }
  }
  return out
}
