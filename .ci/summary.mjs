#!/usr/bin/env node
// Reads vitest's JSON report and prints "N passed, N failed, N skipped"; exits 1 on any failure.
// A file that fails to import or a failing beforeAll fails its suite without failing a test (vitest 4
// has no numRuntimeErrorTestSuites), so such suites count as failures too, once each.
import { readFileSync } from 'node:fs'

const r = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const suites = r.testResults ?? []
const brokenSuites = suites.filter((s) => (s.status === 'failed' || (s.failureMessage ?? s.message ?? '') !== '') && !(s.assertionResults ?? []).some((a) => a.status === 'failed')).length
const failed = (r.numFailedTests ?? 0) + brokenSuites
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0)
console.log(`${r.numPassedTests ?? 0} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || r.success === false || !(r.numTotalTests > 0) ? 1 : 0)
