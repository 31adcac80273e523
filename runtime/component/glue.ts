// Load-time rewrites of jco 1.35's instantiation-mode glue: same behaviour, without the per-call async task
// bookkeeping (an AsyncSubtask, a Waitable, an AsyncTask, closures, Map entries) a synchronous host never needs.

/** What the rewrite did, for tests and logs. */
export interface GlueRewrite {
  source: string
  /** Import trampolines that now run without async task bookkeeping. */
  fastImports: number
  /** Import trampolines left as jco wrote them (a shape this rewrite does not know). */
  slowImports: number
}

// One host-import trampoline as jco 1.35 emits it: `const _trampolineN = function(args) { ... }` followed by
// `_trampolineN.fnName = '...'`.
const TRAMPOLINE_RE = /^  const _trampoline(\d+) = function\(([^)]*)\) \{\n([\s\S]*?)\n  \}\n  _trampoline\1\.fnName = /gm

// The per-call host task block inside a synchronous trampoline: create a host AsyncTask, find the caller's
// latest subtask (made by _lowerImportBackwardsCompat) and link them. For a sync import of a sync
// function the only effect visible to the guest is the value passed to `task.resolve`, which the
// lowering wrapper hands back to wasm; the fast path keeps exactly that.
const HOST_TASK_BLOCK_RE = new RegExp(
  [
    String.raw`let parentTask;\s*let task;\s*let subtask;\s*`,
    String.raw`const createTask = \(\) => \{\s*const results = createNewCurrentTask\(\{\s*componentIdx: -1,\s*isAsync: false,\s*entryFnName: '[^'\n]*',\s*getCallbackFn: \(\) => null,\s*callbackFnName: null,\s*errHandling: '(?:none|result-catch-handler)',\s*callingWasmExport: false,\s*\}\);\s*task = results\[0\];\s*\};\s*`,
    String.raw`taskCreation: \{\s*parentTask = getCurrentTask\(\s*\d+,\s*_getGlobalCurrentTaskMeta\(\d+\)\?\.taskID,\s*\)\?\.task;\s*`,
    String.raw`if \(!parentTask\) \{\s*createTask\(\);\s*break taskCreation;\s*\}\s*createTask\(\);\s*`,
    String.raw`if \(hostProvided\) \{\s*subtask = parentTask\.getLatestSubtask\(\);\s*if \(!subtask\) \{\s*throw new Error\(\x60[^\x60]*\x60\);\s*\}\s*task\.setParentSubtask\(subtask\);\s*\}\s*\}\s*`,
    String.raw`const started = task\.enterSync\(\);`,
  ].join(''),
)

// `_withGlobalCurrentTaskMeta({ componentIdx: task.componentIdx(), taskID: task.id(), fn: () => CALL })` in a
// trampoline, CALL being `_trackHostOperation(() => ...)` on one line.
const HOST_META_RE = /_withGlobalCurrentTaskMeta\(\{\s*componentIdx: task\.componentIdx\(\),\s*taskID: task\.id\(\),\s*fn: \(\) => (_trackHostOperation\(\(\) => [^\n]*\)),\s*\}\)\s*;/g

// jco's variant lowering builds a tag -> case table when the lowering function is made, at instantiation
// (a fifth of what a new instance allocates); build it on first use instead.
const VARIANT_TABLE = `  let caseLookup = {};
  for (const [idx, meta] of caseMetas.entries()) {
    let tag = meta[0];
    caseLookup[tag] = { discriminant: idx, meta };
  }
  
  return function _lowerFlatVariantInner(ctx) {
`
const LAZY_VARIANT_TABLE = `  let caseLookup = null;
  return function _lowerFlatVariantInner(ctx) {
    if (caseLookup === null) {
      caseLookup = {};
      for (const [idx, meta] of caseMetas.entries()) {
        let tag = meta[0];
        caseLookup[tag] = { discriminant: idx, meta };
      }
    }
`

/** Methods the light host task answers; a trampoline calling anything else keeps jco's task. */
const LIGHT_TASK_METHODS = new Set(['enterSync', 'componentIdx', 'id', 'getParentSubtask', 'setErrored', 'reject', 'resolve', 'exit'])

const LOWER_IMPORT_HEAD = '  function _lowerImportBackwardsCompat(args) {\n'

// Injected at the top of instantiate(): one light host task per component instance. `resolve` keeps the
// value the trampoline resolved with, which is what jco's wrapper returns to wasm (subtask.getResult()).
// `__jaegisFastCall` tells a rewritten trampoline that the fast path (and not jco's) called it.
const PRELUDE = `
  let __jaegisResolved;
  let __jaegisFastCall = false;
  const __jaegisHostTask = {
    enterSync() { return true; },
    componentIdx() { return -1; },
    id() { return 0; },
    getParentSubtask() { return undefined; },
    setErrored() {},
    reject() {},
    resolve(results) { __jaegisResolved = results[0]; },
    exit() {},
  };
`

// The fast path at the head of _lowerImportBackwardsCompat: a sync-lowered import of a sync function whose
// trampoline was rewritten. Same checks the slow path makes for this case (may-leave), same result.
const FAST_LOWER = `    if (args.importFn.__jaegisFast === true && !args.isAsync && !args.isManualAsync && !args.funcTypeIsAsync) {
      _checkMayLeave(args.componentIdx);
      const outer = __jaegisResolved;
      __jaegisResolved = undefined;
      const fn = args.importFn;
      __jaegisFastCall = true;
      try {
        switch (arguments.length) {
          case 1: fn(); break;
          case 2: fn(arguments[1]); break;
          case 3: fn(arguments[1], arguments[2]); break;
          case 4: fn(arguments[1], arguments[2], arguments[3]); break;
          case 5: fn(arguments[1], arguments[2], arguments[3], arguments[4]); break;
          default: fn.apply(null, Array.prototype.slice.call(arguments, 1));
        }
      } finally {
        __jaegisFastCall = false;
      }
      const result = __jaegisResolved;
      __jaegisResolved = outer;
      return result;
    }
`

/**
 * Rewrites synchronous import trampolines to skip jco's async task bookkeeping, and drops the write-only
 * `_createdReps` sets (one entry per resource ever handed to the guest, never read or removed: a leak in a
 * long-lived instance). Returns the source unchanged when it is not the shape this knows.
 */
export function rewriteGlue(source: string): GlueRewrite {
  const head = /^export function instantiate\([^\n]*\{\n/m.exec(source)
  const lowerAt = source.indexOf(LOWER_IMPORT_HEAD)
  if (!head || lowerAt < 0 || source.indexOf(LOWER_IMPORT_HEAD, lowerAt + 1) >= 0) return { source, fastImports: 0, slowImports: 0 }
  let fast = 0
  let slow = 0
  let out = source.replace(TRAMPOLINE_RE, (whole, idx: string, params: string, body: string) => {
    const m = HOST_TASK_BLOCK_RE.exec(body)
    if (!m) {
      if (body.includes('taskCreation: {')) slow++
      return whole
    }
    const rest = body.slice(0, m.index) + body.slice(m.index + m[0].length)
    const methods = [...rest.matchAll(/\btask\.(\w+)\(/g)].map((x) => x[1]!)
    if (/\b(subtask|parentTask)\b/.test(rest) || methods.some((x) => !LIGHT_TASK_METHODS.has(x))) {
      slow++
      return whole
    }
    fast++
    // Called through the fast path, the trampoline takes the light host task; called any other way (an
    // async lowering, say) it builds jco's task exactly as before.
    const block = m[0]
    const inner = block.slice(block.indexOf('const createTask'), block.lastIndexOf('const started = task.enterSync();'))
    const chosen = `let parentTask;\n    let task;\n    let subtask;\n    if (__jaegisFastCall) {\n      __jaegisFastCall = false;\n      task = __jaegisHostTask;\n    } else {\n    ${inner}}\n    const started = task.enterSync();`
    // The host task's "current task" record only matters to code that re-enters the component from
    // inside a host call, which this host never does: call the host function directly.
    const newBody = (body.slice(0, m.index) + chosen + body.slice(m.index + block.length)).replace(HOST_META_RE, '$1;')
    return `  const _trampoline${idx} = function(${params}) {\n${newBody}\n  }\n  _trampoline${idx}.__jaegisFast = true;\n  _trampoline${idx}.fnName = `
  })
  const variantAt = out.indexOf('function _lowerFlatVariant(meta) {\n')
  // Only when the table directly follows the destructuring of `meta` (the shape jco 1.35 writes).
  const tableAt = variantAt < 0 ? -1 : out.indexOf('\n  \n', variantAt) + 4
  if (variantAt >= 0 && out.startsWith(VARIANT_TABLE, tableAt)) out = out.slice(0, tableAt) + LAZY_VARIANT_TABLE + out.slice(tableAt + VARIANT_TABLE.length)
  if (fast === 0) return { source: out, fastImports: 0, slowImports: slow }
  out = out.replace(LOWER_IMPORT_HEAD, LOWER_IMPORT_HEAD + FAST_LOWER)
  out = out.replace(/^(export function instantiate\([^\n]*\{\n)/m, `$1${PRELUDE}`)
  // `table._createdReps.add(rep)` is the only use of those sets besides creating them.
  const uses = out.split('_createdReps').length - 1
  const known = out.split('._createdReps = new Set();').length - 1 + (out.split('table._createdReps.add(rep);').length - 1)
  if (uses === known) out = out.replaceAll('table._createdReps.add(rep);', '')
  return { source: out, fastImports: fast, slowImports: slow }
}

/** What addResetHooks found: the resource tables its reset function empties. */
export interface GlueResetHooks {
  source: string
  /** Handle tables (one per resource type the component imports or exports) the reset empties; -1 when the glue is not a shape it knows. */
  tables: number
}

// jco 1.35 keeps, per resource type, a handle table, a map from rep to the host object and a counter, in
// the scope of the generator that instantiates the core modules (`let gen= (function* _initGenerator () {`).
const GEN_HEAD_RE = /^let gen\s*=\s*\(function\* _initGenerator \(\) \{\n/m
const HANDLE_TABLE_RE = /^\s*const (handleTable\d+) = (\[T_FLAG, 0\]);$/gm
const CAPTURE_TABLE_RE = /^\s*const (captureTable\d+)\s*= new Map\(\);$/gm
const CAPTURE_COUNT_RE = /^\s*let (captureCnt\d+)\s*= 0;$/gm
// State of jco's task machinery at instantiate scope: empty again after every synchronous call that
// returns. A reset checks that it is (a call that left a task or a borrow behind is not reset).
const AT_REST = [
  ['RESOURCE_SCOPE_TASKS', 'RESOURCE_SCOPE_TASKS.size'],
  ['curResourceBorrows', 'curResourceBorrows.length'],
  ['ASYNC_CURRENT_COMPONENT_IDXS', 'ASYNC_CURRENT_COMPONENT_IDXS.length'],
  ['ASYNC_CURRENT_TASK_IDS', 'ASYNC_CURRENT_TASK_IDS.length'],
  ['ASYNC_TASKS_BY_COMPONENT_IDX', '[...ASYNC_TASKS_BY_COMPONENT_IDX.values()].reduce((n, v) => n + (v?.length ?? 0), 0)'],
] as const

/**
 * Injects into the glue a function that puts its per-instance host-side state back as it is right after
 * instantiation: every resource handle table to `[T_FLAG, 0]`, every capture map emptied, every capture
 * counter to 0. The glue hands `{ reset, state }` to `__jaegisHooks.current` when it instantiates;
 * `state()` describes the task machinery (equal before and after a request when nothing was left behind).
 * `tables` is -1 (source unchanged) when the glue is not the shape this knows.
 */
export function addResetHooks(source: string): GlueResetHooks {
  const head = GEN_HEAD_RE.exec(source)
  if (!head) return { source, tables: -1 }
  const names = (re: RegExp) => [...source.matchAll(re)].map((m) => m[1]!)
  const handles = [...source.matchAll(HANDLE_TABLE_RE)].map((m) => [m[1]!, m[2]!] as const)
  const captures = names(CAPTURE_TABLE_RE)
  const counts = names(CAPTURE_COUNT_RE)
  // Every table has its map and counter, and nothing else of that name pattern is declared.
  const ids = (xs: readonly string[]) => xs.map((x) => x.replace(/^\D+/, '')).sort().join(',')
  const declared = (prefix: string) => source.split(prefix).length - 1
  if (ids(handles.map(([n]) => n)) !== ids(captures) || ids(captures) !== ids(counts)) return { source, tables: -1 }
  if (handles.length !== new Set(handles.map(([n]) => n)).size || declared('const handleTable') !== handles.length || declared('const captureTable') !== captures.length) return { source, tables: -1 }
  const atRest = AT_REST.filter(([name]) => new RegExp(`^\\s*(const|let) ${name}\\s*=`, 'm').test(source)).map(([, expr]) => expr)
  // A table or map the request did not touch (most of them: one per resource type) is left alone.
  const reset = [
    ...handles.map(([n, init]) => `if (${n}.length !== 2 || ${n}[0] !== T_FLAG || ${n}[1] !== 0) ${n}.splice(0, ${n}.length, ...${init});`),
    ...captures.map((n) => `if (${n}.size !== 0) ${n}.clear();`),
    ...counts.map((n) => `${n} = 0;`),
  ].join('\n    ')
  const hooks = `  function __jaegisResetTables() {\n    ${reset}\n  }\n  function __jaegisGlueState() {\n    return [${atRest.join(', ')}].join(',');\n  }\n  __jaegisHooks.current = { reset: __jaegisResetTables, state: __jaegisGlueState };\n`
  const at = head.index + head[0].length
  return { source: source.slice(0, at) + hooks + source.slice(at), tables: handles.length }
}
