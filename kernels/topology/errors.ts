// Errors of the topology kernel. Each carries a stable code; callers (CLI, scheduler) match on `code`.

/** Stable codes of TopologyError. Never rename one. */
export type TopologyErrorCode =
  | 'NEGATIVE_WEIGHT'
  | 'INVALID_GRAPH'
  | 'UNKNOWN_NODE'
  | 'INVALID_GRAPHML'
  | 'TOO_LARGE'
  | 'INVALID_PLACEMENT_INPUT'
  | 'OUT_OF_MEMORY'

/** Bad graph, bad file or bad request given to the topology kernel; `message` names what is wrong. */
export class TopologyError extends Error {
  readonly code: TopologyErrorCode
  constructor(code: TopologyErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TopologyError'
    this.code = code
  }
}
