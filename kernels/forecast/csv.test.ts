// The series CSV reader on what real exports contain: quoted fields with commas, quotes and line
// breaks, CRLF, a byte-order mark, blank lines; and the line it names when something is wrong.
import { describe, expect, it } from 'vitest'
import { parseSeriesCsv, SeriesFormatError } from './index.js'

function errorOf(text: string): SeriesFormatError {
  try {
    parseSeriesCsv(text)
  } catch (err) {
    expect(err).toBeInstanceOf(SeriesFormatError)
    return err as SeriesFormatError
  }
  throw new Error('expected a SeriesFormatError')
}

describe('parseSeriesCsv, quoting', () => {
  it('keeps a quoted comma inside its field, in the timestamp and in the header', () => {
    const s = parseSeriesCsv('"day, local","load, kW"\n"Mon, 2020-01-06",1.5\n"Tue, 2020-01-07","2"\n')
    expect(s.timestamps).toEqual(['Mon, 2020-01-06', 'Tue, 2020-01-07'])
    expect(Array.from(s.values)).toEqual([1.5, 2])
  })

  it('refuses a value with a quoted comma instead of reading the digits after it', () => {
    // A thousands separator: the hand parser split at the last comma and read 234.
    expect(errorOf('t,v\n2020-01-01,"1,234"\n').message).toBe('line 2: value "1,234" is not a finite number')
    expect(errorOf('t,v\n2020-01-01,"5,"\n').message).toBe('line 2: value "5," is not a finite number')
  })

  it('undoubles quoted quotes and keeps quoted line breaks', () => {
    const s = parseSeriesCsv('label,value\n"the ""big"" day",3\n"two\nlines",4\n5,6\n')
    expect(s.timestamps).toEqual(['the "big" day', 'two\nlines', '5'])
    expect(Array.from(s.values)).toEqual([3, 4, 6])
  })

  it('reads quoted numbers and missing values, with spaces around fields', () => {
    const s = parseSeriesCsv('ds,y\n 2020-01-01 , "7" \n2020-01-02,"NA"\n2020-01-03,""\n')
    expect(s.timestamps).toEqual(['2020-01-01', '2020-01-02', '2020-01-03'])
    expect(s.values[0]).toBe(7)
    expect(s.values[1]).toBeNaN()
    expect(s.values[2]).toBeNaN()
  })
})

describe('parseSeriesCsv, line endings and blank lines', () => {
  it('reads CRLF with a byte-order mark, blank and whitespace-only lines, and mixed endings', () => {
    const s = parseSeriesCsv('\uFEFFds,y\r\n\r\n2020-01-01,1\r\n   \r\n2020-01-02,2\n2020-01-03,3\r2020-01-04,4\r\n\r\n')
    expect(s.timestamps).toEqual(['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-04'])
    expect(Array.from(s.values)).toEqual([1, 2, 3, 4])
  })

  it('treats a first record with a number as data, not a header', () => {
    expect(Array.from(parseSeriesCsv('\uFEFF2020-01-01,1\n2020-01-02,2').values)).toEqual([1, 2])
    expect(Array.from(parseSeriesCsv('\n\n1,-.5\n2,+3').values)).toEqual([-0.5, 3])
  })

  it('keeps the fields before the last as the timestamp of a wider row', () => {
    expect(parseSeriesCsv('a,b,c\nx,y,1\n').timestamps).toEqual(['x,y'])
  })
})

describe('parseSeriesCsv, errors', () => {
  it('names the file line, counting blank lines and CRLF', () => {
    expect(errorOf('t,v\r\n\r\n1,2\r\n\r\n2,abc\r\n').message).toBe('line 5: value "abc" is not a finite number')
    expect(errorOf('t,v\n1,2\n\n7\n').message).toBe('line 4: expected "timestamp,value", got "7"')
    expect(errorOf('t,v\n"a\nb",1\n3,x\n').message).toBe('line 4: value "x" is not a finite number')
  })

  it('names the line of an unclosed quote and keeps the parser error as the cause', () => {
    const err = errorOf('t,v\n1,2\n3,"4\n5,6\n')
    expect(err.message).toBe('line 3: a quoted field is never closed (missing ")')
    expect(err.code).toBe('BAD_SERIES_CSV')
    expect(err.cause).toBeInstanceOf(Error)
    expect(errorOf('t,v\r\n1,2\r\n\r\n  \r\n"3,4\r\n').message).toBe('line 5: a quoted field is never closed (missing ")')
    expect(errorOf('t,v\n1,"2"x\n').message).toBe('line 2: unexpected text after a closing quote')
  })

  it('says when there is no data', () => {
    expect(errorOf('').message).toBe('no data rows')
    expect(errorOf('\uFEFFds,y\r\n\r\n').message).toBe('no data rows')
  })
})
