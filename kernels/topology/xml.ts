// XML for the GraphML reader: saxes (a conforming, non-validating parser) turned into a token list,
// with its errors worded for GraphML authors and numbered by line. What the elements mean is graphml.ts's job.
import { SaxesParser } from 'saxes'
import { TopologyError } from './errors.js'

/** One parsed piece of an XML document. `line` is 1-based (the line of the tag's `<`), -1 where unused. */
export type XmlToken =
  | { kind: 'open'; name: string; attrs: Record<string, string>; selfClosing: boolean; line: number }
  | { kind: 'close'; name: string; line: number }
  | { kind: 'text'; text: string; line: number }

/** Line numbers of increasing offsets into `text`; CRLF, LF and a bare CR each end a line, as saxes counts them. */
function lineCounter(text: string): (index: number) => number {
  const BREAK = /\r\n?|\n/g
  let line = 1
  let next = BREAK.exec(text)
  return (index) => {
    while (next && next.index < index) {
      line++
      next = BREAK.exec(text)
    }
    return line
  }
}

/**
 * An '&' that starts no entity or character reference (saxes reads on to the next ';' and reports
 * something later), or a comment, CDATA section or processing instruction, where an '&' is text.
 */
const BARE_AMPERSAND = /<!--[^]*?-->|<!\[CDATA\[[^]*?\]\]>|<\?[^]*?\?>|&(?![A-Za-z_:][-A-Za-z0-9_:.]*;|#[0-9]+;|#x[0-9A-Fa-f]+;)/g

/** Thrown from saxes's error handler to stop it at the first problem (it would otherwise go on). */
class StopAt {
  constructor(readonly message: string, readonly position: number) {}
}

/**
 * Tokenizes `text` (entities and character references decoded, CDATA as text; comments, processing
 * instructions and the DOCTYPE skipped), checking well-formedness. Throws TopologyError('INVALID_GRAPHML')
 * naming `source` and the line of the first problem, after yielding the tokens before it, so a caller
 * that checks tokens as they come reports whichever problem comes first in the file. A document without
 * a root element yields nothing: the caller says what it expected.
 */
export function* xmlTokens(text: string, source: string): Generator<XmlToken> {
  const tokens: XmlToken[] = []
  const lineAt = lineCounter(text)
  const parser = new SaxesParser<{ xmlns: false; position: true }>({ xmlns: false, position: true })
  const stack: string[] = []
  let tagStart = 0 // position of the `<` of the tag being read
  let tagName = ''
  let inTag = false // between a tag's name and its `>`
  let closedByMistake: string | undefined // the element a wrong closing tag closed
  let quietUpTo = 0 // position after the last element or text: a problem saxes finds later may have started here
  // Only the handlers needed: adding comment, processing-instruction and doctype handlers made saxes 4x slower on Cogentco.graphml.
  parser.on('opentagstart', (tag) => {
    tagStart = text.lastIndexOf('<', parser.position - 1)
    tagName = tag.name
    inTag = true
  })
  parser.on('opentag', (tag) => {
    tokens.push({ kind: 'open', name: tag.name, attrs: tag.attributes, selfClosing: tag.isSelfClosing, line: lineAt(tagStart) })
    if (!tag.isSelfClosing) stack.push(tag.name)
    inTag = false
    quietUpTo = parser.position
  })
  parser.on('closetag', (tag) => {
    // A self-closing tag is one 'open' token with selfClosing set, no 'close'.
    if (!tag.isSelfClosing) {
      // saxes closes the elements between a closing tag and the open element of its name, then reports.
      if (closingName(parser.position) !== tag.name) {
        closedByMistake = tag.name
        throw new StopAt('unexpected close tag', parser.position)
      }
      stack.pop()
      tokens.push({ kind: 'close', name: tag.name, line: -1 })
    }
    quietUpTo = parser.position
  })
  /** The name in the closing tag that ends before `position`. */
  const closingName = (position: number) => {
    const at = text.lastIndexOf('</', position - 1)
    return /^<\/([^\s>]*)/.exec(text.slice(at, at + 260))?.[1] ?? ''
  }
  let textFrom = 0 // where the last text token started
  const onText = (t: string) => {
    textFrom = quietUpTo
    tokens.push({ kind: 'text', text: t, line: -1 })
    quietUpTo = parser.position
  }
  parser.on('text', onText)
  parser.on('cdata', onText)
  parser.on('error', (err) => {
    throw new StopAt(err.message.replace(/^\d+:\d+: /, '').replace(/\.$/, ''), parser.position)
  })

  let stop: StopAt | undefined
  try {
    parser.write(text).close()
  } catch (err) {
    if (!(err instanceof StopAt)) throw err
    stop = err
  }
  yield* tokens
  if (stop === undefined || stop.message === 'document must contain a root element') return
  // saxes's messages, reworded where GraphML authors had better ones (graphml.test.ts's golden
  // messages); the line is where the problem starts, not where saxes noticed it, when the two differ.
  const fail = (index: number, msg: string): never => {
    throw new TopologyError('INVALID_GRAPHML', `${source}: line ${lineCounter(text)(index)}: ${msg}`)
  }
  BARE_AMPERSAND.lastIndex = quietUpTo
  for (let m = BARE_AMPERSAND.exec(text); m && m.index < stop.position; m = BARE_AMPERSAND.exec(text)) {
    if (m[0] === '&') fail(m.index, `'&' not followed by an entity reference ending in ';'`)
  }
  const { message, position } = stop
  if (message.startsWith('unclosed tag: ')) {
    for (const [open, close, what] of [['<!--', '-->', 'comment'], ['<![CDATA[', ']]>', 'CDATA section']]) {
      const at = text.indexOf(open, Math.max(0, quietUpTo - 1)) // a text event comes after the `<` that ends it
      if (at !== -1 && text.indexOf(close, at + open.length) === -1) fail(at, `${what} never closed (missing ${close})`)
    }
    fail(text.length, `file ends inside <${stack.at(-1)}> (missing </${stack.at(-1)}>)`)
  }
  if (message === 'unexpected close tag') {
    const at = text.lastIndexOf('</', position - 1)
    const name = closingName(position)
    const open = closedByMistake ?? stack.at(-1)
    fail(at, open === undefined ? `</${name}> without a matching <${name}>` : `</${name}> closes <${open}>`)
  }
  if (message === 'undefined entity') fail(position, `unknown entity ${text.slice(text.lastIndexOf('&', position - 1), position)}`)
  const unmatched = /^unmatched closing tag: (.*)$/.exec(message)
  if (unmatched) fail(text.lastIndexOf('</', position - 1), `</${unmatched[1]}> without a matching <${unmatched[1]}>`)
  const duplicate = /^duplicate attribute: (.*)$/.exec(message)
  if (duplicate) fail(position, `attribute ${duplicate[1]} repeated on <${tagName}>`)
  if (message === 'text data outside of root node') {
    const from = tokens.at(-1)?.kind === 'text' ? textFrom : quietUpTo
    fail(from + Math.max(0, text.slice(from, position).search(/\S/)), 'text outside the root element')
  }
  const worded: Record<string, string> = { 'documents may contain only one root': 'more than one root element' }
  if (inTag && message.startsWith('disallowed character')) fail(position, `unexpected ${JSON.stringify(text[position - 1])} in <${tagName}> tag`)
  fail(position, worded[message] ?? (inTag ? `<${tagName}> tag: ${message}` : message))
}
