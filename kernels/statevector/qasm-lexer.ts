// OpenQASM 2.0 tokenizer: identifiers, numbers, strings and symbols with their line and column; comments
// and whitespace dropped. An unexpected character becomes a 'bad' token that the parser reports when it reaches it.
import { QasmError } from './errors.js'

/** One token; `line` and `col` are 1-based. */
export type Tok = { k: 'id' | 'num' | 'str' | 'sym' | 'bad' | 'eof'; v: string; line: number; col: number }

/** Splits OpenQASM source into tokens, ending with one 'eof' token. Throws QasmError for unterminated comments and strings. */
export function tokenize(src: string): Tok[] {
  const toks: Tok[] = []
  let i = 0, line = 1, lineStart = 0
  const num = /^(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)/
  while (i < src.length) {
    const ch = src[i], col = i - lineStart + 1
    if (ch === '\n') { line++; lineStart = ++i; continue }
    if (ch === ' ' || ch === '\t' || ch === '\r') { i++; continue }
    if (ch === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue }
    if (ch === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2)
      if (end < 0) throw new QasmError('unterminated comment', line, col)
      for (let j = i; j < end; j++) if (src[j] === '\n') { line++; lineStart = j + 1 }
      i = end + 2; continue
    }
    if (/[A-Za-z_]/.test(ch)) { let j = i + 1; while (j < src.length && /\w/.test(src[j])) j++; toks.push({ k: 'id', v: src.slice(i, j), line, col }); i = j; continue }
    const m = num.exec(src.slice(i, i + 64))
    if (/[\d.]/.test(ch) && m) { toks.push({ k: 'num', v: m[0], line, col }); i += m[0].length; continue }
    if (ch === '"') {
      const end = src.indexOf('"', i + 1)
      if (end < 0 || src.slice(i, end).includes('\n')) throw new QasmError('unterminated string', line, col)
      toks.push({ k: 'str', v: src.slice(i + 1, end), line, col }); i = end + 1; continue
    }
    if (src.startsWith('->', i) || src.startsWith('==', i)) { toks.push({ k: 'sym', v: src.slice(i, i + 2), line, col }); i += 2; continue }
    if ('; ,()[]{}+-*/^'.includes(ch)) { toks.push({ k: 'sym', v: ch, line, col }); i++; continue }
    // Reported when the parser reaches it, so an earlier error wins.
    toks.push({ k: 'bad', v: ch, line, col })
    i++
  }
  toks.push({ k: 'eof', v: '', line, col: i - lineStart + 1 })
  return toks
}
