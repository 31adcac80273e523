// uPlot wrappers for the dashboard's time series: one chart per panel, data replaced on each update.
import uPlot from '/_dashboard/vendor/uPlot.esm.js'

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2']

/** A line chart in `el` with the named series; x is seconds since the epoch. */
export function lineChart(el, names, opts = {}) {
  const series = [{}, ...names.map((label, i) => ({ label, stroke: opts.colours?.[i] ?? COLOURS[i % COLOURS.length], width: 2, points: { show: true, size: 4 }, ...(opts.series?.[i] ?? {}) }))]
  const chart = new uPlot({
    width: 460, height: 200, series,
    scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.1 : 1] } },
    axes: [{}, { size: 56 }],
    ...(opts.bands ? { bands: opts.bands } : {}),
  }, names.map(() => []).concat([[]]), el)
  return chart
}

/** Replaces a chart's series (keeps its series list when the names are the same). */
export function setData(chart, xs, columns) {
  chart.setData([xs, ...columns])
}
