// Reads a two-column time series CSV (`timestamp,value` or `ds,y`, any header names) with LF,
// CRLF or bare-CR line endings; missing values (NaN, NA, empty) become NaN. Leaves timestamps as strings; the forecaster needs only values.

/** A parsed series: timestamps as written, values as numbers. */
export interface Series {
  timestamps: string[]
  values: Float64Array
}

/** A CSV that is not a two-column numeric series; the message names the line. */
export class SeriesFormatError extends Error {
  readonly code = 'BAD_SERIES_CSV'
  constructor(message: string) {
    super(message)
    this.name = 'SeriesFormatError'
  }
}

/** Spellings of a missing value; they parse to NaN, which `forecast` fills by interpolation. */
const MISSING = new Set(['', 'nan', 'na', 'null'])

/** Parses CSV text; missing values become NaN; the first line is a header when its second field is not a number. */
export function parseSeriesCsv(text: string): Series {
  const lines = text.split(/\r\n|\r|\n/)
  const timestamps: string[] = []
  const values: number[] = []
  let first = true
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim()
    if (line === '') continue
    const comma = line.lastIndexOf(',')
    if (comma < 0) throw new SeriesFormatError(`line ${i + 1}: expected "timestamp,value", got "${line.slice(0, 60)}"`)
    const field = line.slice(comma + 1).trim().replace(/^"|"$/g, '')
    const missing = MISSING.has(field.toLowerCase())
    const v = missing ? NaN : Number(field)
    const isFirst = first
    first = false
    if (isFirst && Number.isNaN(v) && !/^[-+]?(\d|\.\d)/.test(field)) continue // header
    if (!missing && !Number.isFinite(v)) throw new SeriesFormatError(`line ${i + 1}: value "${field}" is not a finite number`)
    timestamps.push(line.slice(0, comma).trim().replace(/^"|"$/g, ''))
    values.push(v)
  }
  if (values.length === 0) throw new SeriesFormatError('no data rows')
  return { timestamps, values: Float64Array.from(values) }
}
