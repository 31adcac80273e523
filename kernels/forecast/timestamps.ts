// Continues a series' timestamps into the forecast horizon, in the input's own format. Handles
// fixed steps (minutes, hours, days) and calendar months; anything else gets step numbers instead.

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/

function parse(ts: string): { ms: number; hasTime: boolean; hasSeconds: boolean; sep: string } | null {
  const m = DATE_TIME.exec(ts.trim())
  if (!m) return null
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0))
  return Number.isFinite(ms) ? { ms, hasTime: m[4] !== undefined, hasSeconds: m[6] !== undefined, sep: ts.trim()[10] ?? ' ' } : null
}

function format(ms: number, like: { hasTime: boolean; hasSeconds: boolean; sep: string }): string {
  const iso = new Date(ms).toISOString() // YYYY-MM-DDTHH:MM:SS.sssZ
  if (!like.hasTime) return iso.slice(0, 10)
  return iso.slice(0, 10) + like.sep + iso.slice(11, like.hasSeconds ? 19 : 16)
}

/** The `horizon` timestamps after the last one, or null when the spacing is not recognisable. */
export function continueTimestamps(timestamps: readonly string[], horizon: number): string[] | null {
  if (timestamps.length < 2) return null
  const a = parse(timestamps[timestamps.length - 2])
  const b = parse(timestamps[timestamps.length - 1])
  if (!a || !b || b.ms <= a.ms) return null
  const da = new Date(a.ms), db = new Date(b.ms)
  const monthly = da.getUTCDate() === db.getUTCDate() && da.getUTCHours() === db.getUTCHours() && da.getUTCMinutes() === db.getUTCMinutes() &&
    (db.getUTCFullYear() * 12 + db.getUTCMonth()) - (da.getUTCFullYear() * 12 + da.getUTCMonth()) === 1
  const out: string[] = []
  for (let k = 1; k <= horizon; k++) {
    if (monthly) {
      const d = new Date(b.ms)
      d.setUTCMonth(d.getUTCMonth() + k)
      out.push(format(d.getTime(), b))
    } else out.push(format(b.ms + k * (b.ms - a.ms), b))
  }
  return out
}
