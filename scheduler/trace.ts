// Reads Azure Functions traces: the 2019 per-minute schema (`HashOwner,HashApp,HashFunction,Trigger,1..1440`),
// its common variant (`HashFunction,HashOwner,HashApp,1_minute..`) and the 2021 per-invocation schema
// (`app,func,end_timestamp,duration`), detected from the header. Expanding counts into events is invocations.ts's job.
import { readFile } from 'node:fs/promises'
import { SchedulerError } from './errors.js'

/** The trace layouts `parseTrace` recognises. */
export type TraceFormat = 'azure2019' | 'azure2019-variant' | 'azure2021'

/** One function of a trace: either per-minute counts or individual invocations. */
export interface TraceFunction {
  /** Function hash (2019) or func (2021). Unique within a trace (app + function when needed). */
  id: string
  app: string
  owner?: string
  trigger?: string
  /** Invocations per minute (per-minute formats). */
  minuteCounts?: Uint32Array
  /** Per-invocation formats: start times (ms since trace start, ascending) and durations (ms). */
  startsMs?: Float64Array
  durationsMs?: Float64Array
}

export interface Trace {
  format: TraceFormat
  /** Length of the trace in whole minutes. */
  minutes: number
  functions: TraceFunction[]
  /** Where it came from (file path or 'text'), for messages. */
  source: string
}

const HEAD_2019 = ['hashowner', 'hashapp', 'hashfunction', 'trigger']
const HEAD_VARIANT = ['hashfunction', 'hashowner', 'hashapp']
const HEAD_2021 = ['app', 'func', 'end_timestamp', 'duration']

function fail(source: string, msg: string): never {
  throw new SchedulerError('BAD_TRACE', `${source}: ${msg}`)
}

/** Which format a header names, or undefined. */
export function detectTraceFormat(header: string): TraceFormat | undefined {
  const cols = header.split(',').map((c) => c.trim().toLowerCase())
  const starts = (prefix: string[]) => prefix.every((p, i) => cols[i] === p)
  if (starts(HEAD_2019) && cols.length > 4 && cols.slice(4).every((c, i) => c === String(i + 1))) return 'azure2019'
  if (starts(HEAD_VARIANT) && cols.length > 3 && cols.slice(3).every((c, i) => c === `${i + 1}_minute`)) return 'azure2019-variant'
  if (cols.length === 4 && starts(HEAD_2021)) return 'azure2021'
  return undefined
}

/** Parses trace text. Throws SchedulerError('BAD_TRACE') naming the line for anything malformed. */
export function parseTrace(text: string, source = 'text'): Trace {
  const lines = text.split(/\r\n|\n|\r/)
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop()
  if (lines.length === 0) fail(source, 'empty file: expected a CSV header')
  const header = lines[0].replace(/^\uFEFF/, '')
  const format = detectTraceFormat(header)
  if (!format) {
    fail(source, `unrecognised header ${JSON.stringify(header.slice(0, 80))}${header.length > 80 ? '…' : ''}; expected one of ` +
      `"HashOwner,HashApp,HashFunction,Trigger,1,2,..." (Azure 2019), "HashFunction,HashOwner,HashApp,1_minute,..." (its variant) ` +
      `or "app,func,end_timestamp,duration" (Azure 2021)`)
  }
  return format === 'azure2021' ? parse2021(lines, source) : parsePerMinute(lines, format, source)
}

function parsePerMinute(lines: string[], format: TraceFormat, source: string): Trace {
  const meta = format === 'azure2019' ? 4 : 3
  const minutes = lines[0].split(',').length - meta
  const functions: TraceFunction[] = []
  const seen = new Set<string>()
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue
    const cols = lines[i].split(',')
    if (cols.length !== minutes + meta) fail(source, `line ${i + 1}: ${cols.length} columns, header has ${minutes + meta}`)
    const [owner, app, fn, trigger] = format === 'azure2019' ? cols : [cols[1], cols[2], cols[0], undefined]
    const counts = new Uint32Array(minutes)
    for (let m = 0; m < minutes; m++) {
      const raw = cols[meta + m]
      const v = Number(raw)
      // Counts are held in 32 bits: a larger one would wrap silently (found by fuzzing).
      if (raw.trim() === '' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) fail(source, `line ${i + 1}, minute ${m + 1}: ${JSON.stringify(raw)} is not a count (integer from 0 to 4294967295)`)
      counts[m] = v
    }
    let id = fn
    if (seen.has(id)) id = `${app}/${fn}`
    if (seen.has(id)) id = `${id}#${i + 1}`
    seen.add(id)
    functions.push({ id, app, owner, trigger, minuteCounts: counts })
  }
  return { format, minutes, functions, source }
}

function parse2021(lines: string[], source: string): Trace {
  const byFn = new Map<string, { app: string; starts: number[]; durations: number[] }>()
  let endMaxMs = 0
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue
    const cols = lines[i].split(',')
    if (cols.length !== 4) fail(source, `line ${i + 1}: ${cols.length} columns, expected 4 (app,func,end_timestamp,duration)`)
    const end = Number(cols[2])
    const dur = Number(cols[3])
    if (!Number.isFinite(end) || end < 0) fail(source, `line ${i + 1}: end_timestamp ${JSON.stringify(cols[2])} is not a time in seconds >= 0`)
    if (!Number.isFinite(dur) || dur < 0 || dur > end) fail(source, `line ${i + 1}: duration ${JSON.stringify(cols[3])} is not seconds in 0..end_timestamp`)
    const key = `${cols[0]}/${cols[1]}`
    let f = byFn.get(key)
    if (!f) byFn.set(key, (f = { app: cols[0], starts: [], durations: [] }))
    f.starts.push((end - dur) * 1000)
    f.durations.push(dur * 1000)
    endMaxMs = Math.max(endMaxMs, end * 1000)
  }
  const funcIds = new Map<string, number>()
  for (const key of byFn.keys()) funcIds.set(key.split('/')[1], (funcIds.get(key.split('/')[1]) ?? 0) + 1)
  const functions: TraceFunction[] = []
  for (const [key, f] of byFn) {
    const order = f.starts.map((_, j) => j).sort((a, b) => f.starts[a] - f.starts[b] || a - b)
    const func = key.split('/')[1]
    functions.push({
      id: funcIds.get(func)! > 1 ? key : func,
      app: f.app,
      startsMs: Float64Array.from(order, (j) => f.starts[j]),
      durationsMs: Float64Array.from(order, (j) => f.durations[j]),
    })
  }
  return { format: 'azure2021', minutes: Math.max(1, Math.ceil(endMaxMs / 60_000)), functions, source }
}

/** Reads and parses a trace file; file errors are wrapped with the path. */
export async function loadTrace(path: string): Promise<Trace> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    throw new SchedulerError('BAD_TRACE', `cannot read trace ${path}: ${(err as Error).message}`, { cause: err })
  }
  return parseTrace(text, path)
}

/** Total invocations in a trace. */
export function traceInvocations(trace: Trace): number {
  let n = 0
  for (const f of trace.functions) n += f.minuteCounts ? f.minuteCounts.reduce((a, b) => a + b, 0) : f.startsMs!.length
  return n
}

/** The trace cut to its first `minutes` (in place; returned for chaining): `jaegis sim --minutes`, the dashboard's bound. */
export function trimTrace(trace: Trace, minutes: number): Trace {
  if (minutes >= trace.minutes) return trace
  trace.minutes = minutes
  for (const f of trace.functions) {
    if (f.minuteCounts) f.minuteCounts = f.minuteCounts.slice(0, minutes)
    if (f.startsMs) {
      const n = f.startsMs.findIndex((s) => s >= minutes * 60_000)
      if (n >= 0) {
        f.startsMs = f.startsMs.slice(0, n)
        f.durationsMs = f.durationsMs!.slice(0, n)
      }
    }
  }
  return trace
}
