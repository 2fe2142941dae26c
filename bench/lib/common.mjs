// What every part of the bench shares: its folders, the log line, the
// environment the contenders run in, and running one of them.
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

export const BENCH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ROOT = path.resolve(BENCH, '..')
export const WORK = path.join(BENCH, '.work')
export const FIX = path.join(BENCH, 'fixtures')

let QUIET = false
export const setQuiet = (q) => { QUIET = q }
export const say = (m) => { if (!QUIET) process.stderr.write(`bench: ${m}\n`) }
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export function which(cmd) {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
    const f = path.join(dir || '.', cmd)
    try {
      fs.accessSync(f, fs.constants.X_OK)
      return f
    } catch {}
  }
  return undefined
}

// The environment every contender runs in: nothing of ours that changes it.
export function cleanEnv() {
  const env = { ...process.env }
  for (const k of Object.keys(env)) if (k.startsWith('TINI_') || k === 'NODE_OPTIONS') delete env[k]
  return env
}

// ---------------------------------------------------------------- measurements

export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: cleanEnv(), maxBuffer: 64 << 20, ...opts })
  if (r.error) throw r.error
  return r
}

export function nums(text) {
  return text.split('\n').filter((l) => /^-?\d+$/.test(l.trim())).map(Number)
}
