#!/usr/bin/env node
// Part of `npm run lint`: no file in src/ or native/
// over MAX lines, so each module stays small enough to read whole and named
// for one thing. eslint's max-lines would see only the TypeScript half.
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MAX = 400
const DIRS = ['src', 'native']
// Known to be over, each with who splits it; remove the entry when it is done.
// (Empty: src/inspect/zombies.ts was the last, split into init-identity, zombie-types
// and zombie-format.)
const PENDING = new Map([])

const over = []
// every file below src/ and native/ (native/frontend/ too)
const files = DIRS.flatMap((dir) =>
  fs.readdirSync(path.join(ROOT, dir), { recursive: true }).map((name) => `${dir}/${name}`),
)
for (const rel of files.sort()) {
  if (!/\.(ts|c|h)$/.test(rel)) continue
  const text = fs.readFileSync(path.join(ROOT, rel), 'utf8')
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
  if (lines <= MAX) continue
  if (PENDING.has(rel)) process.stderr.write(`check-lines: warning: ${rel}: ${lines} lines (over ${MAX}; ${PENDING.get(rel)})\n`)
  else over.push(`${rel}: ${lines} lines`)
}
for (const o of over) process.stderr.write(`check-lines: error: ${o} (at most ${MAX}: split it by what it does)\n`)
process.exit(over.length ? 1 : 0)
