// Reads GraphML (as the Internet Topology Zoo writes it) into plain node and edge lists with their
// <data> values by attribute name. Turning that into latencies is topology.ts's job.
import { TopologyError } from './errors.js'
import { xmlTokens } from './xml.js'

/** A node as written in the file; `data` maps attribute names (from <key attr.name>) to raw text. */
export interface GraphMLNode {
  id: string
  data: Record<string, string>
}

/** An edge as written; `source` and `target` are indices into GraphMLDocument.nodes. */
export interface GraphMLEdge {
  id?: string
  source: number
  target: number
  directed: boolean
  data: Record<string, string>
  line: number
}

export interface GraphMLDocument {
  /** From edgedefault (GraphML's default is directed). */
  directed: boolean
  /** Graph-level <data> (Topology Zoo: Network, GeoLocation, ...). */
  graphData: Record<string, string>
  nodes: GraphMLNode[]
  edges: GraphMLEdge[]
  /** Things read but not used (hyperedges, ports, nested graphs are errors instead). */
  warnings: string[]
}

interface KeyDef {
  name: string
  for: string
}

/** Parses GraphML text. `source` names the file in error messages. Throws TopologyError('INVALID_GRAPHML'). */
export function parseGraphML(text: string, source = 'graphml'): GraphMLDocument {
  const fail = (line: number, msg: string): never => {
    throw new TopologyError('INVALID_GRAPHML', `${source}: ${line > 0 ? `line ${line}: ` : ''}${msg}`)
  }
  const keys = new Map<string, KeyDef>()
  const nodes: GraphMLNode[] = []
  const nodeIndex = new Map<string, number>()
  const pendingEdges: { id?: string; source: string; target: string; directed?: string; data: Record<string, string>; line: number }[] = []
  const graphData: Record<string, string> = {}
  const warnings: string[] = []
  let directed = true
  let graphs = 0
  let sawRoot = false
  // Where <data> text goes, and the element path for context checks.
  const path: string[] = []
  let target: Record<string, string> | undefined
  let dataKey: string | undefined
  let dataText = ''

  for (const t of xmlTokens(text, source)) {
    if (t.kind === 'text') {
      if (dataKey !== undefined) dataText += t.text
      continue
    }
    if (t.kind === 'close') {
      if (t.name === 'data' && dataKey !== undefined && target) {
        target[dataKey] = dataText.trim()
        dataKey = undefined
      }
      if (t.name === 'node' || t.name === 'edge' || t.name === 'graph') target = undefined
      path.pop()
      continue
    }
    const parent = path[path.length - 1]
    const { name, attrs, line } = t
    if (!sawRoot) {
      if (name !== 'graphml') fail(line, `root element is <${name}>, expected <graphml>`)
      sawRoot = true
    } else if (name === 'key') {
      if (attrs.id === undefined) fail(line, '<key> without an id')
      keys.set(attrs.id, { name: attrs['attr.name'] ?? attrs.id, for: attrs.for ?? 'all' })
    } else if (name === 'graph') {
      if (parent !== 'graphml') fail(line, `nested <graph> inside <${parent}> is not supported`)
      if (++graphs > 1) fail(line, 'more than one <graph>; expected exactly one')
      const ed = attrs.edgedefault
      if (ed !== undefined && ed !== 'directed' && ed !== 'undirected') fail(line, `edgedefault is ${JSON.stringify(ed)}, expected directed or undirected`)
      directed = ed !== 'undirected'
      target = graphData
    } else if (name === 'node') {
      if (parent !== 'graph') fail(line, `<node> inside <${parent}>, expected inside <graph>`)
      const id = attrs.id
      if (id === undefined) fail(line, '<node> without an id')
      if (nodeIndex.has(id)) fail(line, `node id ${JSON.stringify(id)} appears twice`)
      nodeIndex.set(id, nodes.length)
      const node: GraphMLNode = { id, data: {} }
      nodes.push(node)
      target = node.data
    } else if (name === 'edge') {
      if (parent !== 'graph') fail(line, `<edge> inside <${parent}>, expected inside <graph>`)
      if (attrs.source === undefined || attrs.target === undefined) fail(line, '<edge> without source or target')
      const e = { id: attrs.id, source: attrs.source, target: attrs.target, directed: attrs.directed, data: {}, line }
      pendingEdges.push(e)
      target = e.data
    } else if (name === 'data') {
      const key = attrs.key
      if (key === undefined) fail(line, '<data> without a key')
      const def = keys.get(key)
      if (!def) fail(line, `<data key=${JSON.stringify(key)}> refers to no <key>`)
      dataKey = def!.name
      dataText = ''
      if (t.selfClosing) {
        if (target) target[dataKey] = ''
        dataKey = undefined
      }
    } else if (name === 'hyperedge' || name === 'port') {
      warnings.push(`line ${line}: <${name}> ignored`)
    }
    if (!t.selfClosing) path.push(name)
  }
  if (!sawRoot) fail(0, 'no <graphml> element (empty or not GraphML)')
  if (graphs === 0) fail(0, 'no <graph> element')

  const edges: GraphMLEdge[] = pendingEdges.map((e) => {
    const s = nodeIndex.get(e.source)
    const d = nodeIndex.get(e.target)
    if (s === undefined) fail(e.line, `edge ${e.source} -> ${e.target}: source node ${JSON.stringify(e.source)} does not exist`)
    if (d === undefined) fail(e.line, `edge ${e.source} -> ${e.target}: target node ${JSON.stringify(e.target)} does not exist`)
    if (e.directed !== undefined && e.directed !== 'true' && e.directed !== 'false') {
      fail(e.line, `edge ${e.source} -> ${e.target}: directed is ${JSON.stringify(e.directed)}, expected true or false`)
    }
    return { id: e.id, source: s!, target: d!, directed: e.directed === undefined ? directed : e.directed === 'true', data: e.data, line: e.line }
  })
  return { directed, graphData, nodes, edges, warnings }
}
