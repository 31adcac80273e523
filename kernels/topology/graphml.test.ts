// GraphML reading: the happy path, what Topology Zoo throws at us, and malformed input with exact messages.
import { describe, expect, it } from 'vitest'
import { parseGraphML } from './graphml.js'
import { Topology } from './topology.js'
import { TopologyError } from './errors.js'
import { fibreLatencyMs, greatCircleKm } from './geo.js'

const KEYS = `<key attr.name="label" attr.type="string" for="node" id="d0"/>
  <key attr.name="Latitude" attr.type="double" for="node" id="d1"/>
  <key attr.name="Longitude" attr.type="double" for="node" id="d2"/>
  <key attr.name="Internal" attr.type="int" for="node" id="d3"/>`

function doc(body: string, edgedefault = 'undirected'): string {
  return `<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  ${KEYS}
  <graph edgedefault="${edgedefault}">
${body}
  </graph>
</graphml>`
}

const node = (id: string, label: string, lat?: number, lon?: number, internal = 1) =>
  `<node id="${id}"><data key="d0">${label}</data>${lat === undefined ? '' : `<data key="d1">${lat}</data>`}${lon === undefined ? '' : `<data key="d2">${lon}</data>`}<data key="d3">${internal}</data></node>`

function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(TopologyError)
    return (err as Error).message
  }
  throw new Error('expected an error')
}

describe('geo', () => {
  it('haversine distance and fibre latency', () => {
    // London - Paris is about 343.5 km on the sphere.
    expect(greatCircleKm(51.5074, -0.1278, 48.8566, 2.3522)).toBeCloseTo(343.5, 0)
    expect(greatCircleKm(10, 20, 10, 20)).toBe(0)
    // Antipodes: half the circumference.
    expect(greatCircleKm(0, 0, 0, 180)).toBeCloseTo(Math.PI * 6371.0088, 6)
    // 1000 km of fibre is 1000 / 204.218 = 4.8967 ms.
    const km = greatCircleKm(0, 0, 0, 10)
    expect(fibreLatencyMs(0, 0, 0, 10)).toBeCloseTo((km * 1.468) / 299.792458, 12)
  })
})

describe('GraphML reader', () => {
  it('reads nodes, labels, entities and coordinates; merges duplicates; drops self loops', () => {
    const t = Topology.fromGraphML(
      doc(`${node('a', 'Ber &amp; Lin', 52.52, 13.405)}${node('b', 'Paris', 48.8566, 2.3522)}${node('c', 'Nowhere', undefined, undefined, 0)}
        <edge source="a" target="b"/><edge source="b" target="a"/><edge source="c" target="c"/><edge source="b" target="c"/>`),
    )
    expect(t.nodes.map((n) => n.label)).toEqual(['Ber & Lin', 'Paris', 'Nowhere'])
    expect(t.nodes[2].internal).toBe(false)
    expect(t.links.length).toBe(2)
    expect(t.links[0].latencyMs).toBeCloseTo(fibreLatencyMs(52.52, 13.405, 48.8566, 2.3522), 12)
    // c's only neighbour is Paris: inferred there, so the b-c link has latency 0.
    expect(t.nodes[2].coordinates).toBe('inferred')
    expect(t.links[1].latencyMs).toBeCloseTo(0, 9)
    expect(t.warnings).toEqual([
      '1 self loop(s) dropped',
      '1 duplicate edge(s) merged',
      '1 node(s) without coordinates placed at the centroid of their neighbours',
    ])
    expect(t.graph.offsets[t.graph.nodeCount]).toBe(4)
  })

  it('keeps a directed graph directed', () => {
    const t = Topology.fromGraphML(doc(`${node('a', 'A', 0, 0)}${node('b', 'B', 0, 1)}<edge source="a" target="b"/>`, 'directed'))
    expect(t.directed).toBe(true)
    expect(t.graph.offsets[t.graph.nodeCount]).toBe(1)
  })

  it('uses the fallback latency where no coordinates can be had', () => {
    const t = Topology.fromGraphML(doc(`${node('a', 'A')}${node('b', 'B')}<edge source="a" target="b"/>`), { fallbackLinkLatencyMs: 7 })
    expect(t.links[0]).toEqual({ source: 0, target: 1, latencyMs: 7, latencyFrom: 'fallback' })
    expect(t.warnings).toContain('2 node(s) have no coordinates and no located neighbour')
  })

  it('names what is wrong in a malformed file', () => {
    const cases: [string, string][] = [
      ['', 'f.graphml: no <graphml> element (empty or not GraphML)'],
      ['<graphml><graph>', 'f.graphml: line 1: file ends inside <graph> (missing </graph>)'],
      ['<graphml><graph></graphml>', 'f.graphml: line 1: </graphml> closes <graph>'],
      ['<svg/>', 'f.graphml: line 1: root element is <svg>, expected <graphml>'],
      ['<graphml></graphml>', 'f.graphml: no <graph> element'],
      ['<graphml><graph edgedefault="sideways"/></graphml>', 'f.graphml: line 1: edgedefault is "sideways", expected directed or undirected'],
      ['<graphml><graph><node/></graph></graphml>', 'f.graphml: line 1: <node> without an id'],
      ['<graphml><graph><node id="1"/>\n<node id="1"/></graph></graphml>', 'f.graphml: line 2: node id "1" appears twice'],
      ['<graphml><graph><node id="1"/><edge source="1" target="2"/></graph></graphml>', 'f.graphml: line 1: edge 1 -> 2: target node "2" does not exist'],
      ['<graphml><graph><node id="1"><data key="zz">x</data></node></graph></graphml>', 'f.graphml: line 1: <data key="zz"> refers to no <key>'],
      ['<graphml><graph><node id="1 & 2"/></graph></graphml>', "f.graphml: line 1: '&' not followed by an entity reference ending in ';'"],
      ['<graphml><graph><node id="a" id="b"/></graph></graphml>', 'f.graphml: line 1: attribute id repeated on <node>'],
      ['<graphml><graph><node id="a"</graph></graphml>', 'f.graphml: line 1: unexpected "<" in <node> tag'],
      [doc(node('x', 'X', 91, 0)), 'f.graphml: node "x": Latitude 91 is outside -90..90'],
      [doc('<node id="x"><data key="d1">north</data><data key="d2">3</data></node>'), 'f.graphml: node "x": Latitude "north" is not a number'],
    ]
    for (const [text, message] of cases) expect(messageOf(() => Topology.fromGraphML(text, { source: 'f.graphml' }))).toBe(message)
  })

  it('parses GraphML without coordinates keys at all', () => {
    const d = parseGraphML('<graphml><graph edgedefault="undirected"><node id="n0"/><node id="n1"/><edge source="n0" target="n1"/></graph></graphml>')
    expect(d.directed).toBe(false)
    expect(d.nodes.map((n) => n.id)).toEqual(['n0', 'n1'])
    expect(d.edges[0]).toMatchObject({ source: 0, target: 1, directed: false })
  })
})
