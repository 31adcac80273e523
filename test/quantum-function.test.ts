// The quantum example function (functions/quantum) built and run in a runtime: its answers agree with
// simulateQasm (kernels/statevector) on the shared QASMBench circuits and random circuits, Bell and GHZ
// states come out analytically, and bad programs, bad parameters and oversized registers get 400s.
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { parseQasm, QasmError, simulateQasm } from '../kernels/statevector/index.js'
import { createRuntime, type Runtime } from '../runtime/index.js'
import { SHARED_DATA, buildFunction, text } from './helpers.js'

interface Answer {
  qubits: number
  clbits: number
  gates: number
  shots: number
  seed: number
  top: { bitstring: string; probability: number }[]
  counts?: Record<string, number>
  error?: { code: string; message: string; line?: number; column?: number }
}

const QASM_DIR = join(SHARED_DATA, 'qasm')
const HEAD = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
let rt: Runtime

function call(body: string, query = '', method = 'POST'): { status: number; json: Answer } {
  const res = rt.invokeSync('quantum', { method, body, query })
  expect(new Map(res.headers).get('content-type')).toMatch(/application\/json/)
  return { status: res.status, json: JSON.parse(text(res.body)) as Answer }
}

const sorted = (c: Record<string, number> | undefined) => Object.entries(c ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : 1))

/** Checks the function's answer against simulateQasm: top probabilities position by position and bitstring by bitstring. */
function expectAgrees(src: string, query: { top: number; shots: number; seed: number }, minProbability = 0): Answer {
  const ref = simulateQasm(src, { topK: query.top, shots: query.shots, seed: query.seed, probabilities: true })
  const { status, json } = call(src, `top=${query.top}&shots=${query.shots}&seed=${query.seed}`)
  expect(status, JSON.stringify(json.error)).toBe(200)
  expect(json.qubits).toBe(ref.numQubits)
  expect(json.clbits).toBe(ref.numClbits)
  expect(json.gates).toBe(ref.gates)
  // the function builds c3x, c4x, ... from smaller gates: where the kernel's native gate leaves an exact 0 it can
  // leave round-off (~1e-33), which top lists after every real state; those are compared above minProbability
  if (minProbability > 0) {
    ref.top = ref.top.filter((o) => o.probability > minProbability)
    json.top = json.top.filter((o) => o.probability > minProbability)
  }
  expect(json.top.length).toBe(ref.top.length)
  for (let i = 0; i < ref.top.length; i++) {
    expect(Math.abs(json.top[i].probability - ref.top[i].probability)).toBeLessThan(1e-9)
    // Near-ties may list different states; each listed state must have the reference's probability.
    const o = json.top[i]
    expect(o.bitstring).toMatch(new RegExp(`^[01]{${ref.numQubits}}$`))
    expect(Math.abs(ref.probabilities![parseInt(o.bitstring, 2)] - o.probability)).toBeLessThan(1e-9)
  }
  if (query.shots > 0) expect(sorted(json.counts)).toEqual(sorted(ref.counts))
  else expect(json.counts).toBeUndefined()
  return json
}

beforeAll(async () => {
  const { artifact } = await buildFunction('quantum')
  rt = createRuntime()
  rt.load(artifact)
}, 60_000)

describe('quantum function: agreement with simulateQasm', () => {
  const files = readdirSync(QASM_DIR).filter((f) => f.endsWith('.qasm')).sort()
  const small = files.filter((f) => parseQasm(readFileSync(join(QASM_DIR, f), 'utf8')).numQubits <= 18)

  it('covers the shared circuits up to 18 qubits', () => {
    expect(small.length).toBeGreaterThanOrEqual(8)
  })

  it.each(small)('%s: top-5 probabilities within 1e-9 and identical seeded counts', (f) => {
    expectAgrees(readFileSync(join(QASM_DIR, f), 'utf8'), { top: 5, shots: 1000, seed: 7 })
  })

  it('random circuits over every gate, user gates and expressions, mid-circuit measures and resets', () => {
    let s = 20251128
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
    const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]
    const angles = ['pi/3', '-pi/4', '0.7', '2*pi/5', 'sin(0.3)+cos(pi/7)', '-(1.5^2)', 'ln(2)*sqrt(3)', 'exp(-1)/tan(0.4)', '1e-1', '.25', '-2^-1']
    const one = ['x', 'y', 'z', 'h', 's', 'sdg', 't', 'tdg', 'sx', 'id']
    const oneP: [string, number][] = [['rx', 1], ['ry', 1], ['rz', 1], ['p', 1], ['u1', 1], ['u2', 2], ['u3', 3], ['U', 3], ['u', 3]]
    const two = ['cx', 'cy', 'cz', 'ch', 'swap', 'CX']
    const twoP: [string, number][] = [['cp', 1], ['cu1', 1], ['crx', 1], ['cry', 1], ['crz', 1], ['cu3', 3], ['rxx', 1], ['rzz', 1]]
    for (let t = 0; t < 12; t++) {
      const n = 3 + Math.floor(rnd() * 6)
      const q = () => Math.floor(rnd() * n)
      const distinct = (k: number) => {
        const a: number[] = []
        while (a.length < k) { const x = q(); if (!a.includes(x)) a.push(x) }
        return a.map((x) => `q[${x}]`).join(',')
      }
      const params = (k: number) => Array.from({ length: k }, () => pick(angles)).join(',')
      let src = HEAD + 'gate mine(a,b) x,y { rx(a*2) x; cx x,y; rz(-b) y; barrier x,y; cu1(a-b) y,x; }\n' + `qreg q[${n}];\ncreg c[${n}];\n`
      const dynamic = t % 3 === 0
      for (let i = 0; i < 40; i++) {
        const r = rnd()
        if (r < 0.25) src += `${pick(one)} q[${q()}];\n`
        else if (r < 0.45) { const [g, k] = pick(oneP); src += `${g}(${params(k)}) q[${q()}];\n` }
        else if (r < 0.6) src += `${pick(two)} ${distinct(2)};\n`
        else if (r < 0.75) { const [g, k] = pick(twoP); src += `${g}(${params(k)}) ${distinct(2)};\n` }
        else if (r < 0.83) src += `${rnd() < 0.5 ? 'ccx' : 'cswap'} ${distinct(3)};\n`
        else if (r < 0.9) src += `mine(${params(2)}) ${distinct(2)};\n`
        else if (r < 0.94) src += 'h q;\n'
        else if (dynamic && r < 0.97) src += `measure q[${q()}] -> c[${q()}];\n`
        else if (dynamic) src += `reset q[${q()}];\n`
      }
      // Counts of a circuit that measures nothing are keyed by qubits here; simulateQasm keys a dynamic
      // one by its (all-zero) classical bits instead, so dynamic circuits always end with a measure.
      if (dynamic || rnd() < 0.5) src += 'measure q -> c;\n'
      expectAgrees(src, { top: 6, shots: 200, seed: t })
    }
  })
})

describe('quantum function: if statements, the newer qelib1 gates and shot branching', () => {
  it('teleportation, a conditioned reset and a broadcast measure under if agree with simulateQasm (seeded counts)', () => {
    const teleport = HEAD + 'qreg q[3];\ncreg a[1];\ncreg b[1];\ncreg out[1];\nry(1.1) q[0];\nh q[1];\ncx q[1],q[2];\ncx q[0],q[1];\nh q[0];\n' +
      'measure q[0] -> a[0];\nmeasure q[1] -> b[0];\nif (b==1) x q[2];\nif (a==1) z q[2];\nmeasure q[2] -> out[0];\n'
    const a = expectAgrees(teleport, { top: 4, shots: 4000, seed: 3 })
    // out is the top classical bit: P(1) = sin^2(1.1 / 2) whatever a and b came out as
    const ones = Object.entries(a.counts!).filter(([k]) => k[0] === '1').reduce((t, [, n]) => t + n, 0)
    expect(Math.abs(ones / 4000 - Math.sin(0.55) ** 2)).toBeLessThan(0.03)
    expectAgrees(HEAD + 'qreg q[3];\ncreg c[3];\nh q;\nmeasure q[0] -> c[0];\nif (c==1) reset q[1];\nif (c==1) measure q -> c;\ncx q[1],q[2];\nmeasure q -> c;\n', { top: 8, shots: 500, seed: 9 })
  })

  it('random circuits with csx, cu, ryy, rccx, rc3x, c3x, c4x and if statements agree with simulateQasm', () => {
    let s = 777
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
    const pick = <T>(a: T[]) => a[Math.floor(rnd() * a.length)]
    const wide: [string, number, number][] = [['csx', 2, 0], ['cu', 2, 4], ['ryy', 2, 1], ['rccx', 3, 0], ['rc3x', 4, 0], ['c3x', 4, 0], ['c4x', 5, 0], ['h', 1, 0], ['rx', 1, 1], ['cx', 2, 0]]
    for (let t = 0; t < 8; t++) {
      const n = 5 + Math.floor(rnd() * 3)
      let src = HEAD + `qreg q[${n}];\ncreg c[2];\ncreg d[${n}];\n`
      for (let i = 0; i < 30; i++) {
        const [g, k, np] = pick(wide)
        const qs: number[] = []
        while (qs.length < k) { const x = Math.floor(rnd() * n); if (!qs.includes(x)) qs.push(x) }
        const ps = np ? `(${Array.from({ length: np }, () => (rnd() * 6 - 3).toFixed(3)).join(',')})` : ''
        const app = `${g}${ps} ${qs.map((x) => `q[${x}]`).join(',')};`
        const r = rnd()
        if (r < 0.12) src += `measure q[${qs[0]}] -> c[${Math.floor(rnd() * 2)}];\n`
        else if (r < 0.3) src += `if (c==${Math.floor(rnd() * 4)}) ${app}\n`
        else if (r < 0.34) src += `if (c==${Math.floor(rnd() * 4)}) reset q[${qs[0]}];\n`
        else src += app + '\n'
      }
      src += 'measure q -> d;\n'
      expectAgrees(src, { top: 6, shots: 300, seed: t }, 1e-12)
    }
  })

  it('a circuit that branches late shares its unitary prefix across shots (same counts as simulateQasm)', () => {
    // 16 qubits, 60 layers of gates, then a mid-circuit measure, a conditioned gate and a reset
    let src = HEAD + 'qreg q[16];\ncreg c[16];\n'
    for (let l = 0; l < 60; l++) for (let i = 0; i < 16; i++) src += l % 2 ? `cx q[${i}],q[${(i + 1) % 16}];\n` : `ry(${(0.1 * (l + i)).toFixed(2)}) q[${i}];\n`
    src += 'measure q[0] -> c[0];\nif (c==1) x q[1];\nreset q[2];\nmeasure q -> c;\n'
    const t0 = performance.now()
    expectAgrees(src, { top: 3, shots: 200, seed: 5 })
    expect(performance.now() - t0).toBeLessThan(60_000)
  })
})

describe('quantum function: analytic states', () => {
  it('Bell state: |00> and |11> with probability 1/2 each; seeded counts repeat', () => {
    const bell = HEAD + 'qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
    const a = call(bell, 'shots=2000&seed=42').json
    expect(a.top.map((o) => o.bitstring)).toEqual(['00', '11'])
    for (const o of a.top) expect(o.probability).toBeCloseTo(0.5, 12)
    expect(Object.keys(a.counts!).sort()).toEqual(['00', '11'])
    expect(a.counts!['00'] + a.counts!['11']).toBe(2000)
    expect(Math.abs(a.counts!['00'] - 1000)).toBeLessThan(150)
    expect(call(bell, 'shots=2000&seed=42').json.counts).toEqual(a.counts)
    expect(call(bell, 'shots=2000&seed=43').json.counts).not.toEqual(a.counts)
  })

  it.each([3, 10, 17])('GHZ on %i qubits: all zeros and all ones, nothing else', (n) => {
    let src = HEAD + `qreg q[${n}];\nh q[0];\n`
    for (let i = 0; i + 1 < n; i++) src += `cx q[${i}],q[${i + 1}];\n`
    const a = call(src, 'top=4&shots=500').json
    expect(a.qubits).toBe(n)
    expect(a.top.map((o) => o.bitstring)).toEqual(['0'.repeat(n), '1'.repeat(n)])
    for (const o of a.top) expect(Math.abs(o.probability - 0.5)).toBeLessThan(1e-12)
    expect(Object.keys(a.counts!).sort()).toEqual(['0'.repeat(n), '1'.repeat(n)])
  })

  it('ghz_state_n23 from the shared data (23 qubits, 128 MiB of state)', () => {
    const a = call(readFileSync(join(QASM_DIR, 'ghz_state_n23.qasm'), 'utf8'), 'top=3').json
    expect(a.qubits).toBe(23)
    expect(a.top.map((o) => o.bitstring)).toEqual(['0'.repeat(23), '1'.repeat(23)])
    for (const o of a.top) expect(Math.abs(o.probability - 0.5)).toBeLessThan(1e-12)
  })

  it('a mid-circuit measurement and reset: teleport-style feed-forward-free circuit', () => {
    // q0 is measured to c0 mid-circuit, then reset and reused: every shot's c1 equals c0 (the CX copies it).
    const src = HEAD + 'qreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\ncx q[0],q[1];\nreset q[0];\nmeasure q[1] -> c[1];\n'
    const a = call(src, 'shots=300&seed=5').json
    expect(Object.keys(a.counts!).sort()).toEqual(['00', '11'])
    expect(sorted(a.counts)).toEqual(sorted(simulateQasm(src, { shots: 300, seed: 5 }).counts))
  })
})

describe('quantum function: errors', () => {
  const cases: [string, string, string][] = [
    ['a missing semicolon', HEAD + 'qreg q[2];\n  h q[0]\n', 'QASM_SYNTAX'],
    ['an opaque gate', HEAD + 'qreg q[1];\nopaque g a;\n', 'QASM_UNSUPPORTED'],
    ['an unknown gate', HEAD + 'qreg q[2];\n    foo q[0];\n', 'QASM_SYNTAX'],
    ['a gate used without the include', 'OPENQASM 2.0;\nqreg q[2];\nh q[0];\n', 'QASM_SYNTAX'],
    ['an index out of range', HEAD + 'qreg q[2];\nh q[2];\n', 'QASM_SYNTAX'],
    ['an unknown parameter in a gate body', HEAD + 'gate g(a) x { rx(b) x; }\n', 'QASM_SYNTAX'],
    ['a bad character after a comment with UTF-8', HEAD + '// é ü\nqreg q[2];\n/* é */ h q[0]; @ h q[1];\n', 'QASM_SYNTAX'],
    ['an unterminated comment', HEAD + 'qreg q[2];\n/* no end\n', 'QASM_SYNTAX'],
    ['a program without the OPENQASM header', 'include "qelib1.inc";\nqreg q[1];\nh q[0];\n', 'QASM_MISSING_HEADER'],
    ['an if on a quantum register', HEAD + 'qreg q[2];\ncreg c[2];\nif (q==1) x q[0];\n', 'QASM_SYNTAX'],
    ['an if on one bit', HEAD + 'qreg q[2];\ncreg c[2];\nif (c[0]==1) x q[0];\n', 'QASM_SYNTAX'],
    ['an if whose value the register cannot hold', HEAD + 'qreg q[2];\ncreg c[2];\nif (c==4) x q[0];\n', 'QASM_SYNTAX'],
    ['an if before a barrier', HEAD + 'qreg q[2];\ncreg c[2];\nif (c==1) barrier q;\n', 'QASM_SYNTAX'],
    ['an if inside a gate body', HEAD + 'qreg q[2];\ncreg c[2];\ngate g a { if (c==1) x a; }\n', 'QASM_SYNTAX'],
    ['a qelib1 gate redefined', HEAD + 'gate c3x a,b,c,d { x a; }\n', 'QASM_SYNTAX'],
  ]
  it.each(cases)('%s: 400 naming the same line and column as parseQasm', (_name, src, code) => {
    let expected: QasmError | undefined
    try { parseQasm(src) } catch (e) { expected = e as QasmError }
    expect(expected).toBeInstanceOf(QasmError)
    const { status, json } = call(src)
    expect(status).toBe(400)
    expect(json.error!.code).toBe(code)
    expect(json.error!.message).toBe(expected!.message)
    expect(json.error!.message).toMatch(/^line \d+, column \d+: /)
    expect([json.error!.line, json.error!.column]).toEqual([expected!.line, expected!.column])
  })


  it('a register larger than memory_mib allows: 400 with the qubits that fit', () => {
    const r = call(HEAD + 'qreg q[25];\nh q;\n')
    expect(r.status).toBe(400)
    expect(r.json.error!.code).toBe('TOO_MANY_QUBITS')
    expect(r.json.error!.message).toMatch(/25 qubits.*512 MiB.*at most 24 qubits/)
    const huge = call(HEAD + 'qreg a[40];\nqreg b[40];\nh a;\n')
    expect(huge.status).toBe(400)
    expect(huge.json.error).toMatchObject({ code: 'TOO_MANY_QUBITS', line: 4, column: 6 })
  })

  it('bad query parameters, a program without qubits, and GET', () => {
    const bell = HEAD + 'qreg q[2];\nh q[0];\ncx q[0],q[1];\n'
    for (const q of ['shots=-1', 'shots=abc', 'shots=1000001', 'seed=4294967296', 'top=x']) {
      const r = call(bell, q)
      expect(r.status, q).toBe(400)
      expect(r.json.error!.code).toBe('BAD_PARAMETER')
    }
    expect(call(HEAD).status).toBe(400)
    expect(call(bell, '', 'GET').status).toBe(405)
    expect(call(bell, 'top=0').json.top).toEqual([])
  })
})
