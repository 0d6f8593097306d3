import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml'
import { InvalidOptionError } from '@oko/core'

/** A parsed config text that can say on which line a value (or key) sits. */
export interface LocatedText {
  readonly data: unknown
  /** 1-based line of the value at `path` (or of the nearest parent that exists). */
  line(path: readonly (string | number)[]): number | undefined
}

/** Most alias (`*name`) resolutions yaml's toJS may make; an alias bomb needs millions. */
const MAX_ALIAS_COUNT = 100

/** Parses YAML or JSON (JSON is YAML 1.2), keeping positions. Syntax errors name the line. */
export function parseLocated(text: string, file: string): LocatedText {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const error = doc.errors[0]
  if (error) {
    const at = lines.linePos(error.pos[0])
    // yaml's parser recurses per nesting level: a file nested thousands deep overflows the stack
    const message = /call stack/i.test(error.message) ? 'nested too deeply' : error.message.split('\n')[0]
    throw new InvalidOptionError(`${file} (line ${at.line})`, `${message}; fix the YAML/JSON syntax there`)
  }
  let data: unknown
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT })
  } catch (cause) {
    // yaml's own guard against alias bombs ("billion laughs") throws a ReferenceError
    throw new InvalidOptionError(file, `${(cause as Error).message.split('\n')[0]}; expand anchors and aliases (&name / *name) or use fewer (at most ${MAX_ALIAS_COUNT} uses)`)
  }
  return {
    data,
    line: (path) => {
      const offset = offsetOf(doc, path)
      return offset === undefined ? undefined : lines.linePos(offset).line
    },
  }
}

function offsetOf(doc: Document, path: readonly (string | number)[]): number | undefined {
  let node: unknown = doc.contents
  let best = rangeStart(node)
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment))
      if (!pair) return best
      // A key whose value is empty points at the key itself.
      best = rangeStart(pair.value) ?? rangeStart(pair.key) ?? best
      node = pair.value
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment]
      if (item === undefined) return best
      best = rangeStart(item) ?? best
      node = item
    } else {
      return best
    }
  }
  return best
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0]
}

/** `cameras[2].url` → ['cameras', 2, 'url']. */
export function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = []
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) out.push(Number(m[2]))
    else if (m[1] !== undefined) out.push(m[1])
  }
  return out
}
