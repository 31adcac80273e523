// Property tests of the kernels' text parsers: OpenQASM, GraphML and series CSV. Real files from
// ../shared/data are mutated at random points and random text is thrown at each parser: it returns a
// result or throws its own error type with a message (QasmError, TopologyError, SeriesFormatError),
// never anything else (no TypeError, no stack overflow). Series CSV also round-trips.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseSeriesCsv, SeriesFormatError } from '../../kernels/forecast/index.js'
import { parseQasm, QasmError } from '../../kernels/statevector/index.js'
import { QASM_LIMITS } from '../../kernels/statevector/qasm.js'
import { parseGraphML, TopologyError } from '../../kernels/topology/index.js'
import { FUZZ_RUNS } from '../fuzz-runs.js'
import { SHARED_DATA } from '../shared-data.js'

/** A text with a few random edits: cut, insert (often a character the grammar cares about), duplicate. */
function mutated(seed: string, alphabet: string[]): fc.Arbitrary<string> {
  const edit = fc.tuple(fc.nat(seed.length), fc.nat(12), fc.oneof(fc.constantFrom(...alphabet), fc.string({ maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 3 })))
  return fc.array(edit, { minLength: 1, maxLength: 5 }).map((edits) => {
    let s = seed
    for (const [at, cut, ins] of edits) {
      const i = at % (s.length + 1)
      s = s.slice(0, i) + ins + s.slice(i + cut)
    }
    return s
  })
}

function onlyThrows(kind: new (...a: never[]) => Error, fn: () => unknown): void {
  try {
    fn()
  } catch (err) {
    expect(err, String((err as Error)?.stack ?? err)).toBeInstanceOf(kind)
    expect((err as Error).message.length).toBeGreaterThan(0)
  }
}

describe('OpenQASM parser', () => {
  const seeds = ['grover_n2.qasm', 'qft_n4.qasm', 'vqe_n4.qasm', 'adder_n10.qasm'].map((f) => readFileSync(join(SHARED_DATA, 'qasm', f), 'utf8'))
  const alphabet = ['(', ')', '[', ']', '{', '}', ';', ',', '->', '"', '/*', '//', 'q', 'gate ', 'pi', '-', '^', '1e999', '0', 'include ', 'measure ', 'qreg ', 'U', 'CX', '\n']

  it('parses or refuses with QasmError: mutated real circuits and random text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...seeds).chain((s) => mutated(s, alphabet)), fc.string({ maxLength: 60 })), (src) => {
        onlyThrows(QasmError, () => {
          const c = parseQasm(src)
          for (const op of c.ops) for (const q of (op as { qubits?: number[] }).qubits ?? []) expect(q).toBeLessThan(c.numQubits)
        })
      }),
      { numRuns: FUZZ_RUNS(500) },
    )
  })

  it('refuses deeply nested expressions and gate calls with QasmError, not a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50_000 }), fc.constantFrom('(', '-', 'sin(', '+'), (depth, open) => {
        const close = open === '-' ? '' : ')'
        const src = `OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[1];\nrz(${open.repeat(depth)}1${close.repeat(depth)}) q[0];\n`
        onlyThrows(QasmError, () => parseQasm(src))
      }),
      { numRuns: FUZZ_RUNS(20) },
    )
  })
})

describe('OpenQASM gate definitions', () => {
  // gate g<i> a { g<i-1> a; g<i-1> a; } doubles the expansion at every level: a "billion laughs".
  const chain = (n: number, calls: number) => {
    const defs = ['gate g0 a { U(0,0,0) a; }']
    for (let i = 1; i < n; i++) defs.push(`gate g${i} a { ${Array.from({ length: calls }, () => `g${i - 1} a;`).join(' ')} }`)
    return `OPENQASM 2.0;\nqreg q[1];\n${defs.join('\n')}\ng${n - 1} q[0];\n`
  }

  it('expands what fits the limits exactly, and refuses deep nesting with QasmError', () => {
    const shape = fc.oneof(fc.tuple(fc.integer({ min: 1, max: 3_000 }), fc.constant(1)), fc.tuple(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 2, max: 3 })))
    fc.assert(
      fc.property(shape, ([n, calls]) => {
        const expected = calls ** (n - 1)
        let circuit
        try {
          circuit = parseQasm(chain(n, calls))
        } catch (err) {
          expect(err, String(err)).toBeInstanceOf(QasmError)
          expect(n > QASM_LIMITS.gateDepth, `refused ${n} x ${calls}: ${err}`).toBe(true)
          expect((err as Error).message).toMatch(/gate definitions nest more than 1000 deep/)
          return
        }
        expect(circuit.ops.length).toBe(expected)
      }),
      { numRuns: FUZZ_RUNS(30) },
    )
  })

  it('refuses a definition that doubles 30 times (2^29 operations) instead of exhausting memory', () => {
    expect(() => parseQasm(chain(30, 2))).toThrow(/circuit expands to more than 1000000 operations/)
  })
})

describe('GraphML parser', () => {
  const seed = readFileSync(join(SHARED_DATA, 'topologyzoo', 'Abilene.graphml'), 'utf8')
  const alphabet = ['<', '>', '/>', '</', '"', "'", '=', '&amp;', '&#x0;', '&#99999999;', '<!--', '-->', '<![CDATA[', ']]>', '<node id="x"/>', '<edge source="0" target="x"/>', '<data key="d1">', '</data>', 'key=', '\n']

  it('parses or refuses with TopologyError: mutated Topology Zoo files and random text', () => {
    fc.assert(
      fc.property(fc.oneof(mutated(seed, alphabet), fc.string({ maxLength: 60 }).map((s) => `<graphml><graph edgedefault="undirected">${s}</graph></graphml>`), fc.string({ maxLength: 40 })), (text) => {
        onlyThrows(TopologyError, () => {
          const doc = parseGraphML(text)
          for (const e of (doc as { edges?: Array<{ source: number; target: number }> }).edges ?? []) {
            expect(e.source).toBeLessThan(doc.nodes.length)
            expect(e.target).toBeLessThan(doc.nodes.length)
          }
        })
      }),
      { numRuns: FUZZ_RUNS(400) },
    )
  })

  it('refuses deep element nesting with TopologyError, not a stack overflow', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), (depth) => {
        onlyThrows(TopologyError, () => parseGraphML(`<graphml><graph edgedefault="undirected">${'<x>'.repeat(depth)}${'</x>'.repeat(depth)}</graph></graphml>`))
      }),
      { numRuns: FUZZ_RUNS(10) },
    )
  })
})

describe('series CSV parser', () => {
  const timestamp = fc.stringMatching(/^[0-9A-Za-z:T.\- ]{0,20}$/).map((s) => s.trim()).filter((s) => s !== '' && !/^[-+]?(\d|\.\d)/.test(s) || /^\d{4}-\d\d-\d\d/.test(s))
  const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer())

  it('round-trips timestamps and values, with or without a header, in any line ending', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.oneof(timestamp, fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), value), { minLength: 1, maxLength: 30 }), fc.boolean(), fc.constantFrom('\n', '\r\n', '\r'), (rows, header, eol) => {
        const text = (header ? ['ds,y'] : []).concat(rows.map(([t, v]) => `${t},${v}`)).join(eol) + eol
        const s = parseSeriesCsv(text)
        expect(s.timestamps).toEqual(rows.map(([t]) => t))
        expect(Array.from(s.values)).toEqual(rows.map(([, v]) => Number(String(v)))) // String(-0) is "0"
      }),
      { numRuns: FUZZ_RUNS(300) },
    )
  })

  it('parses or refuses with SeriesFormatError: mutated real series and random text', () => {
    const seed = readFileSync(join(SHARED_DATA, 'series', 'air_passengers.csv'), 'utf8').slice(0, 2000)
    fc.assert(
      fc.property(fc.oneof(mutated(seed, [',', '\n', '\r', '"', 'NaN', 'Infinity', '1e999', '-', '0x1f', ' ']), fc.string({ maxLength: 60 })), (text) => {
        onlyThrows(SeriesFormatError, () => {
          const s = parseSeriesCsv(text)
          expect(s.values.length).toBe(s.timestamps.length)
          expect(s.values.length).toBeGreaterThan(0)
          for (const v of s.values) expect(Number.isNaN(v) || Number.isFinite(v)).toBe(true)
        })
      }),
      { numRuns: FUZZ_RUNS(400) },
    )
  })
})
