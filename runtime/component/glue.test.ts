// addResetHooks on the shape jco 1.35 writes (a trimmed copy of its instantiation-mode glue): the
// injected reset empties every resource table, and a glue of another shape is left as it is.
import { describe, expect, it } from 'vitest'
import { addResetHooks } from './glue.js'

const GLUE = `export function instantiate(getCoreModule, imports, instantiateCore) {
  const T_FLAG = 1 << 30;
  const RESOURCE_SCOPE_TASKS = new Map();
  let curResourceBorrows = [];
let gen= (function* _initGenerator () {
  const handleTable0 = [T_FLAG, 0];
  const captureTable0= new Map();
  let captureCnt0= 0;
  const handleTable3 = [T_FLAG, 0];
  const captureTable3= new Map();
  let captureCnt3= 0;
  return { add(x) { handleTable0.push(x, 0); captureTable0.set(++captureCnt0, x); handleTable3.push(x); captureTable3.set(++captureCnt3, x); curResourceBorrows.push(x); return [handleTable0.length, captureTable0.size, captureCnt3]; } };
})();
return gen.next().value;
}
`

function load(source: string) {
  const hooks: { current?: { reset(): void; state(): string } } = {}
  const instantiate = new Function('__jaegisHooks', `${source.replace('export function', 'function')}\nreturn instantiate;`)(hooks)
  return { exports: instantiate() as { add(x: unknown): number[] }, hooks }
}

describe('addResetHooks', () => {
  it('empties every handle table, capture map and counter, and reports task state left behind', () => {
    const out = addResetHooks(GLUE)
    expect(out.tables).toBe(2)
    const { exports, hooks } = load(out.source)
    const rest = hooks.current!.state()
    expect(exports.add('a')).toEqual([4, 1, 1])
    expect(exports.add('b')).toEqual([6, 2, 2])
    expect(hooks.current!.state()).not.toBe(rest) // a borrow was left behind
    hooks.current!.reset()
    expect(exports.add('c')).toEqual([4, 1, 1])
  })

  it('leaves a glue it does not know as it is', () => {
    const other = GLUE.replace('let captureCnt3= 0;', 'let captureCnt3= 1;')
    expect(addResetHooks(other)).toEqual({ source: other, tables: -1 })
    const noGenerator = GLUE.replace('let gen= (function* _initGenerator () {', 'let gen= (function* init () {')
    expect(addResetHooks(noGenerator).tables).toBe(-1)
  })
})
