// Reads a two-column time series CSV (`timestamp,value` or `ds,y`, any header names) with LF, CRLF or
// bare-CR line endings, quoted fields and a byte-order mark; missing values (NaN, NA, empty) become NaN.
// Splitting into fields is csv-parse's job (RFC 4180 quoting); this file decides what the fields mean.
// Leaves timestamps as strings; the forecaster needs only values.
import { parse, CsvError, type Options } from 'csv-parse/sync'

/** A parsed series: timestamps as written, values as numbers. */
export interface Series {
  timestamps: string[]
  values: Float64Array
}

/** A CSV that is not a two-column numeric series; the message names the line. */
export class SeriesFormatError extends Error {
  readonly code = 'BAD_SERIES_CSV'
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SeriesFormatError'
  }
}

/** Spellings of a missing value; they parse to NaN, which `forecast` fills by interpolation. */
const MISSING = new Set(['', 'nan', 'na', 'null'])

/**
 * Lenient on purpose, as the hand parser this replaced was: any line ending (mixed too), whitespace
 * around fields and blank lines ignored, a stray quote inside an unquoted field kept as text.
 * Line numbers (csv-parse's `info`) cost 4x, so they are asked for only to name a bad line.
 */
const OPTIONS: Options = {
  bom: true,
  trim: true,
  skip_empty_lines: true,
  relax_column_count: true,
  relax_quotes: true,
  record_delimiter: ['\r\n', '\n', '\r'],
}

const CSV_PROBLEMS: Partial<Record<string, string>> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed (missing ")',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'unexpected text after a closing quote',
  CSV_INVALID_CLOSING_QUOTE: 'unexpected text after a closing quote',
}

function records(text: string): string[][] {
  try {
    return parse(text, OPTIONS)
  } catch (err) {
    if (!(err instanceof CsvError)) throw err
    // csv-parse names the line where it stopped (the end of the file, for an unclosed quote); name
    // the line where the record it could not read starts instead.
    let parsed = 0
    try {
      parse(text, { ...OPTIONS, on_record: (record) => (parsed++, record) })
    } catch { /* the same error, after `parsed` good records */ }
    throw new SeriesFormatError(`line ${startLine(text, parsed)}: ${CSV_PROBLEMS[err.code] ?? err.message}`, { cause: err })
  }
}

/**
 * The 1-based line on which record `index` starts: blank lines and quoted line breaks counted, as an
 * editor shows them. Parses again with csv-parse's positions (4x slower), so only on the error path.
 */
function startLine(text: string, index: number): number {
  let bytes = 0
  let lines = 0
  try {
    parse(text, {
      ...OPTIONS,
      on_record: (record, ctx) => {
        if (ctx.records <= index) ({ bytes, lines } = ctx)
        return record
      },
    })
  } catch { /* records before `index` were all seen */ }
  // After record index-1 ends (on line `lines`, its line break included at `bytes`): blank lines, then record `index`.
  const rest = Buffer.from(text).subarray(bytes).toString().replace(/^\uFEFF/, '')
  const blank = /^(?:[ \t]*(?:\r\n|\n|\r))*/.exec(rest)![0]
  return lines + 1 + (blank.match(/\r\n|\n|\r/g)?.length ?? 0)
}

/**
 * Parses CSV text; missing values become NaN; the first record is a header when its value is not a number.
 * The value is a record's last field and the timestamp the fields before it (normally one).
 */
export function parseSeriesCsv(text: string): Series {
  const rows = records(text)
  const timestamps: string[] = []
  const values: number[] = []
  for (let r = 0; r < rows.length; r++) {
    const fields = rows[r]
    if (fields.length < 2) {
      const got = fields[0] ?? ''
      throw new SeriesFormatError(`line ${startLine(text, r)}: expected "timestamp,value", got "${got.slice(0, 60)}"`)
    }
    const field = fields[fields.length - 1].trim()
    const missing = MISSING.has(field.toLowerCase())
    const v = missing ? NaN : Number(field)
    if (r === 0 && Number.isNaN(v) && !/^[-+]?(\d|\.\d)/.test(field)) continue // header
    if (!missing && !Number.isFinite(v)) throw new SeriesFormatError(`line ${startLine(text, r)}: value "${field}" is not a finite number`)
    timestamps.push(fields.length === 2 ? fields[0] : fields.slice(0, -1).join(','))
    values.push(v)
  }
  if (values.length === 0) throw new SeriesFormatError('no data rows')
  return { timestamps, values: Float64Array.from(values) }
}
