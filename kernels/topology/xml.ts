// A small non-validating XML tokenizer, enough for GraphML: elements, attributes, text, the five named
// entities and numeric references, CDATA, comments and processing instructions. No DTDs or namespaces.
import { TopologyError } from './errors.js'

/** One parsed piece of an XML document. `line` is 1-based, for error messages. */
export type XmlToken =
  | { kind: 'open'; name: string; attrs: Record<string, string>; selfClosing: boolean; line: number }
  | { kind: 'close'; name: string; line: number }
  | { kind: 'text'; text: string; line: number }

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Line numbers of increasing offsets into `text`, counted incrementally (O(length) in total). */
function lineCounter(text: string): (index: number) => number {
  let pos = 0
  let line = 1
  return (index) => {
    if (index < pos) {
      pos = 0
      line = 1
    }
    for (let k = text.indexOf('\n', pos); k !== -1 && k < index; k = text.indexOf('\n', k + 1)) line++
    pos = index
    return line
  }
}

/** Replaces entity and character references; an unknown entity is an error. */
export function decodeEntities(s: string, fail: (msg: string) => never): string {
  if (!s.includes('&')) return s
  return s.replace(/&([^;\s&]*);?/g, (whole, ref: string) => {
    if (!whole.endsWith(';')) fail(`'&' not followed by an entity reference ending in ';'`)
    if (ref.startsWith('#x') || ref.startsWith('#X')) {
      const cp = Number.parseInt(ref.slice(2), 16)
      if (!Number.isFinite(cp) || cp > 0x10ffff) fail(`bad character reference &${ref};`)
      return String.fromCodePoint(cp)
    }
    if (ref.startsWith('#')) {
      const cp = Number.parseInt(ref.slice(1), 10)
      if (!Number.isFinite(cp) || cp > 0x10ffff) fail(`bad character reference &${ref};`)
      return String.fromCodePoint(cp)
    }
    const named = NAMED[ref]
    if (named === undefined) fail(`unknown entity &${ref};`)
    return named
  })
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/
const ATTR = /\s*([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("([^"]*)"|'([^']*)')/y

/**
 * Tokenizes `text`, checking that tags nest and close. Throws TopologyError('INVALID_GRAPHML') naming
 * `source` and the line of the first problem.
 */
export function* xmlTokens(text: string, source: string): Generator<XmlToken> {
  const stack: string[] = []
  const lineAt = lineCounter(text)
  let rootSeen = false
  let i = 0
  const failAt = (index: number, msg: string): never => {
    throw new TopologyError('INVALID_GRAPHML', `${source}: line ${lineCounter(text)(index)}: ${msg}`)
  }
  while (i < text.length) {
    const lt = text.indexOf('<', i)
    const end = lt === -1 ? text.length : lt
    if (end > i) {
      const raw = text.slice(i, end)
      if (stack.length === 0 && raw.trim() !== '') failAt(i, 'text outside the root element')
      yield { kind: 'text', text: decodeEntities(raw, (m) => failAt(i, m)), line: -1 }
    }
    if (lt === -1) break
    i = lt
    if (text.startsWith('<!--', i)) {
      const close = text.indexOf('-->', i + 4)
      if (close === -1) failAt(i, 'comment never closed (missing -->)')
      i = close + 3
    } else if (text.startsWith('<![CDATA[', i)) {
      const close = text.indexOf(']]>', i + 9)
      if (close === -1) failAt(i, 'CDATA section never closed (missing ]]>)')
      yield { kind: 'text', text: text.slice(i + 9, close), line: -1 }
      i = close + 3
    } else if (text.startsWith('<?', i)) {
      const close = text.indexOf('?>', i + 2)
      if (close === -1) failAt(i, 'processing instruction never closed (missing ?>)')
      i = close + 2
    } else if (text.startsWith('<!', i)) {
      const close = text.indexOf('>', i + 2)
      if (close === -1) failAt(i, 'declaration never closed (missing >)')
      i = close + 1
    } else if (text.startsWith('</', i)) {
      const m = NAME.exec(text.slice(i + 2, i + 2 + 256))
      if (!m) failAt(i, 'closing tag without a name')
      const name = m![0]
      const close = text.indexOf('>', i)
      if (close === -1 || text.slice(i + 2 + name.length, close).trim() !== '') failAt(i, `malformed closing tag </${name}`)
      const open = stack.pop()
      if (open !== name) failAt(i, open === undefined ? `</${name}> without a matching <${name}>` : `</${name}> closes <${open}>`)
      yield { kind: 'close', name, line: -1 }
      i = close + 1
    } else {
      const m = NAME.exec(text.slice(i + 1, i + 1 + 256))
      if (!m) failAt(i, `'<' not followed by a tag name`)
      const name = m![0]
      if (stack.length === 0) {
        if (rootSeen) failAt(i, 'more than one root element')
        rootSeen = true
      }
      let j = i + 1 + name.length
      const attrs: Record<string, string> = {}
      for (;;) {
        ATTR.lastIndex = j
        const a = ATTR.exec(text)
        if (!a) break
        if (a[1] in attrs) failAt(j, `attribute ${a[1]} repeated on <${name}>`)
        const at = j
        attrs[a[1]] = decodeEntities(a[3] ?? a[4], (msg) => failAt(at, msg))
        j = ATTR.lastIndex
      }
      while (j < text.length && /\s/.test(text[j])) j++
      let selfClosing = false
      if (text.startsWith('/>', j)) {
        selfClosing = true
        j += 2
      } else if (text[j] === '>') {
        j += 1
      } else {
        failAt(j, j >= text.length ? `<${name}> tag never closed (file ends)` : `unexpected ${JSON.stringify(text[j])} in <${name}> tag`)
      }
      if (!selfClosing) stack.push(name)
      yield { kind: 'open', name, attrs, selfClosing, line: lineAt(i) }
      i = j
    }
  }
  if (stack.length > 0) failAt(text.length, `file ends inside <${stack[stack.length - 1]}> (missing </${stack[stack.length - 1]}>)`)
}
