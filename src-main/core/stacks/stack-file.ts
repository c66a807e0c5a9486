import fs from 'node:fs/promises'
import { applyEdits, findNodeAtLocation, modify, parseTree, printParseErrorCode, type JSONPath, type Node, type ParseError } from 'jsonc-parser'
import { writeFileAtomic } from '../atomic-file.js'
import { formatPath, ValidationError } from '../validation-error.js'
import { unknownKeys } from './known-keys.js'
import { StackSchema, type Stack } from './stack-schema.js'

/** The file name of a stack kept in an app's own repository. */
export const STACK_FILE_NAME = 'aerie.stack.json'

function lineOf(text: string, offset: number): number {
  return text.slice(0, offset).split('\n').length
}

/** The deepest node of `path` that exists, for pointing at a line even when a field is missing. */
function nearestNode(tree: Node | undefined, path: JSONPath): Node | undefined {
  if (!tree) return undefined
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(tree, path.slice(0, n))
    if (node) return node
  }
  return tree
}

/**
 * Reads and validates an aerie.stack.json (comments and trailing commas allowed).
 * Errors name the file, the line and the field: `aerie.stack.json:12: proxy.httpPort must be …`.
 */
export async function readStackFile(file: string): Promise<Stack> {
  const text = await fs.readFile(file, 'utf8')
  const errors: ParseError[] = []
  const tree = parseTree(text, errors, { allowTrailingComma: true })
  if (errors.length) {
    const e = errors[0]
    throw new ValidationError(`${file}`, [{ path: `line ${lineOf(text, e.offset)}`, message: `is not valid JSON: ${printParseErrorCode(e.error)}` }])
  }
  const json: unknown = tree ? nodeValue(tree) : undefined
  const result = StackSchema.safeParse(json)
  const issues = [...unknownKeys(json), ...(result.success ? [] : result.error.issues)]
  if (!issues.length && result.success) return result.data
  throw new ValidationError(
    file,
    issues.map((i) => {
      const node = nearestNode(tree, i.path as JSONPath)
      // A key's line is where the key is written (its property node), not its value.
      const at = node?.parent?.type === 'property' ? node.parent : node
      return { path: `line ${at ? lineOf(text, at.offset) : 1}: ${formatPath(i.path as PropertyKey[])}`, message: i.message }
    }),
  )
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case 'object':
      return Object.fromEntries((node.children ?? []).map((p) => [p.children![0].value as string, p.children![1] ? nodeValue(p.children![1]) : undefined]))
    case 'array':
      return (node.children ?? []).map(nodeValue)
    default:
      return node.value
  }
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Every [path, value] where `next` differs from `prev`: objects are compared key by key, arrays and scalars as a whole. */
function changes(prev: unknown, next: unknown, path: JSONPath = []): [JSONPath, unknown][] {
  if (isPlainObject(prev) && isPlainObject(next)) {
    const keys = new Set([...Object.keys(prev), ...Object.keys(next)])
    return [...keys].flatMap((k) => changes(prev[k], next[k], [...path, k]))
  }
  return JSON.stringify(prev) === JSON.stringify(next) ? [] : [[path, next]]
}

/**
 * Writes `next` into the file as minimal edits against what `prev` (the file's last parsed
 * content) says, so that comments, key order and fields Aerie does not know survive.
 */
export async function writeStackFileEdits(file: string, prev: Stack, next: Stack): Promise<void> {
  let text = await fs.readFile(file, 'utf8')
  for (const [path, value] of changes(prev, next)) {
    text = applyEdits(text, modify(text, path, value, { formattingOptions: { insertSpaces: true, tabSize: 2, eol: '\n' } }))
  }
  await writeFileAtomic(file, text)
}
