// Writes the cold-start / wasted-memory trade-off of a knob sweep as a small standalone SVG: one line per
// policy, its default setting circled, so a reader sees the whole curve rather than one point.

/** One policy's sweep: points in knob order; `defaultIndex` is the point at its default setting. */
export interface SweepSeries {
  policy: string
  knob: string
  points: { knob: number; coldStartPct: number; wastedGbS: number }[]
  defaultIndex: number
}

const COLOURS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e']

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function niceMax(x: number): number {
  if (!(x > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(x))
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p
  return 10 * p
}

/** SVG text of the trade-off plot (x: wasted GB-s, y: cold-start %). */
export function tradeoffSvg(series: SweepSeries[], title = 'Cold starts vs idle warm memory'): string {
  const W = 720
  const H = 480
  const m = { left: 70, right: 170, top: 40, bottom: 50 }
  const pw = W - m.left - m.right
  const ph = H - m.top - m.bottom
  const all = series.flatMap((s) => s.points)
  const xMax = niceMax(Math.max(...all.map((p) => p.wastedGbS), 1))
  // Cold-start rates span orders of magnitude across a sweep: log scale, whole decades.
  const positive = all.map((p) => p.coldStartPct).filter((v) => v > 0)
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...positive, 1)))
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...positive, yLo * 10)))
  const X = (v: number) => m.left + (v / xMax) * pw
  const Y = (v: number) => m.top + ph - ((Math.log10(Math.max(v, yLo)) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph
  const out: string[] = []
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`)
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`)
  out.push(`<text x="${W / 2 - m.right / 2}" y="22" text-anchor="middle" font-size="15">${esc(title)}</text>`)
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5
    out.push(`<line x1="${X(xv)}" y1="${m.top}" x2="${X(xv)}" y2="${m.top + ph}" stroke="#eee"/>`)
    out.push(`<text x="${X(xv)}" y="${m.top + ph + 16}" text-anchor="middle">${Number(xv.toPrecision(3)).toLocaleString('en-US')}</text>`)
  }
  for (let d = yLo; d <= yHi * 1.0001; d *= 10) {
    for (const k of [1, 2, 5]) {
      const yv = d * k
      if (yv > yHi * 1.0001) break
      out.push(`<line x1="${m.left}" y1="${Y(yv)}" x2="${m.left + pw}" y2="${Y(yv)}" stroke="${k === 1 ? '#ddd' : '#f3f3f3'}"/>`)
      out.push(`<text x="${m.left - 6}" y="${Y(yv) + 4}" text-anchor="end">${Number(yv.toPrecision(2))}</text>`)
    }
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`)
  out.push(`<text x="${m.left + pw / 2}" y="${H - 12}" text-anchor="middle">wasted memory (GB-s of idle warm instances)</text>`)
  out.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">cold starts (% of invocations, log scale)</text>`)
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]
    const pts = s.points.map((p) => `${X(p.wastedGbS).toFixed(1)},${Y(p.coldStartPct).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="2"/>`)
    s.points.forEach((p, j) => {
      out.push(`<g><title>${esc(`${s.policy} ${s.knob}=${p.knob}: ${p.coldStartPct.toFixed(2)}% cold, ${Math.round(p.wastedGbS)} GB-s`)}</title>` +
        `<circle cx="${X(p.wastedGbS).toFixed(1)}" cy="${Y(p.coldStartPct).toFixed(1)}" r="${j === s.defaultIndex ? 6 : 3}" fill="${j === s.defaultIndex ? 'white' : c}" stroke="${c}" stroke-width="2"/></g>`)
      out.push(`<text x="${(X(p.wastedGbS) + 7).toFixed(1)}" y="${(Y(p.coldStartPct) - 6).toFixed(1)}" font-size="10" fill="${c}">${p.knob}</text>`)
    })
    const ly = m.top + 10 + i * 34
    out.push(`<line x1="${W - m.right + 14}" y1="${ly}" x2="${W - m.right + 38}" y2="${ly}" stroke="${c}" stroke-width="2"/>`)
    out.push(`<text x="${W - m.right + 44}" y="${ly + 4}">${esc(s.policy)}</text>`)
    out.push(`<text x="${W - m.right + 44}" y="${ly + 18}" font-size="10" fill="#555">knob: ${esc(s.knob)}</text>`)
  })
  out.push(`<text x="${W - m.right + 14}" y="${m.top + 10 + series.length * 34 + 8}" font-size="10" fill="#555">open circle = default</text>`)
  out.push('</svg>')
  return out.join('\n') + '\n'
}
