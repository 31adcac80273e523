// The GraphML reader's XML: entities, comments, CDATA, processing instructions, a DOCTYPE, both
// attribute quote styles and line endings read as XML says; malformed XML refused with its line.
import { describe, expect, it } from 'vitest'
import { parseGraphML } from './graphml.js'
import { TopologyError } from './errors.js'

const KEYS = `<key attr.name="label" attr.type="string" for="node" id="d0"/><key attr.name='note' for='node' id='d1'/>`
const graphml = (body: string, prolog = '<?xml version="1.0" encoding="utf-8"?>\n') =>
  `${prolog}<graphml xmlns="http://graphml.graphdrawing.org/xmlns">${KEYS}<graph edgedefault="undirected">${body}</graph></graphml>`

function messageOf(text: string): string {
  try {
    parseGraphML(text, 'f.graphml')
  } catch (err) {
    expect(err).toBeInstanceOf(TopologyError)
    expect((err as TopologyError).code).toBe('INVALID_GRAPHML')
    return (err as Error).message
  }
  throw new Error('expected an error')
}

describe('GraphML XML', () => {
  it('decodes named entities and character references in text and attributes', () => {
    const d = parseGraphML(graphml(`<node id="a&amp;b&#x41;&#66;"><data key="d0">AT&amp;T &lt;core&gt; &quot;x&quot; &apos;y&apos; &#x41;&#65;&#x1F310;</data></node>`))
    expect(d.nodes[0].id).toBe('a&bAB')
    expect(d.nodes[0].data.label).toBe(`AT&T <core> "x" 'y' AA\u{1F310}`)
  })

  it('reads attributes in either quote style, each holding the other quote', () => {
    const d = parseGraphML(graphml(`<node id='say "hi"'><data key='d0'>x</data></node><node id="it's"/><edge source='say "hi"' target="it's"/>`))
    expect(d.nodes.map((n) => n.id)).toEqual(['say "hi"', "it's"])
    expect(d.nodes[0].data.label).toBe('x')
    expect(d.edges[0]).toMatchObject({ source: 0, target: 1 })
  })

  it('skips comments, even ones holding markup, and processing instructions', () => {
    const d = parseGraphML(graphml(`<!-- <node id="ghost"/> & no entity --><?render mode="fast" & more?><node id="a"><data key="d0">A<!-- not -->B<?pi?>C</data></node>`, '<?xml version="1.0"?>\n<?xml-stylesheet href="s.xsl"?>\n<!-- written by hand -->\n'))
    expect(d.nodes.map((n) => n.id)).toEqual(['a'])
    expect(d.nodes[0].data.label).toBe('ABC')
  })

  it('reads CDATA as literal text next to ordinary text', () => {
    const d = parseGraphML(graphml(`<node id="a"><data key="d0">x <![CDATA[<b>AT&amp;T</b> ]] ]>]]>y</data><data key="d1"><![CDATA[]]></data></node>`))
    expect(d.nodes[0].data).toEqual({ label: 'x <b>AT&amp;T</b> ]] ]>y', note: '' })
  })

  it('reads a file with a DOCTYPE and its internal subset', () => {
    const d = parseGraphML(graphml('<node id="a"/>', '<?xml version="1.0"?>\n<!DOCTYPE graphml [\n  <!ELEMENT graphml ANY>\n  <!ATTLIST node id CDATA #REQUIRED>\n]>\n'))
    expect(d.nodes.map((n) => n.id)).toEqual(['a'])
  })

  it('normalizes line endings in text to LF, as XML requires', () => {
    const d = parseGraphML(graphml('<node id="a"><data key="d0">two\r\nlines\rhere</data></node>', '<?xml version="1.0"?>\r\n'))
    expect(d.nodes[0].data.label).toBe('two\nlines\nhere')
  })

  it('numbers edge lines by the line of the tag, whatever the line endings', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const d = parseGraphML(['<graphml>', '<graph>', '<node id="a"/><node id="b"/>', '<!-- c -->', '<edge', '  source="a" target="b"/>', '</graph></graphml>'].join(eol))
      expect(d.edges[0].line).toBe(5)
    }
  })

  it('refuses malformed XML, naming the line', () => {
    const cases: [string, string][] = [
      ['<graphml>\n<graph>\n<node id="a">AT&T</node></graph></graphml>', "f.graphml: line 3: '&' not followed by an entity reference ending in ';'"],
      ['<graphml><graph><!-- an & here is text -->\n<node id="a">AT&T</node></graph></graphml>', "f.graphml: line 2: '&' not followed by an entity reference ending in ';'"],
      ['<graphml><graph>\n<node id="&nbsp;"/></graph></graphml>', 'f.graphml: line 2: unknown entity &nbsp;'],
      ['<graphml><graph>\n<node id="a"/>\n<!-- never closed </graph></graphml>', 'f.graphml: line 3: comment never closed (missing -->)'],
      ['<graphml><graph>\n<node id="a"/>\n</graph>', 'f.graphml: line 3: file ends inside <graphml> (missing </graphml>)'],
      ['<graphml>\n<graph>\n<node id="a">\n</graph></graphml>', 'f.graphml: line 4: </graph> closes <node>'],
      ['<graphml><graph><node id="a" id=\'b\'/></graph></graphml>', 'f.graphml: line 1: attribute id repeated on <node>'],
      ['<graphml><graph>\n<node id=a/></graph></graphml>', 'f.graphml: line 2: <node> tag: unquoted attribute value'],
      ['<graphml>\n<graph/>\n</graphml>\n</graph>', 'f.graphml: line 4: </graph> without a matching <graph>'],
      ['<graphml/>\n<graphml/>', 'f.graphml: line 2: more than one root element'],
      ['GraphML\n<graphml/>', 'f.graphml: line 1: text outside the root element'],
      ['<graphml><graph><node id="a"><![CDATA[x</node></graph></graphml>', 'f.graphml: line 1: CDATA section never closed (missing ]]>)'],
    ]
    for (const [text, message] of cases) expect(messageOf(text)).toBe(message)
  })
})
