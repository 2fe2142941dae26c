// Finds and loads the addon, listing every path it tried when none works
// (the node-pty loader pattern). process.dlopen rather than require: inside a
// single-executable application require() loads built-ins only.
//
// Order:
//  1. $TINI_TS_ADDON, when set (an explicit choice);
//  2. tini_native.node beside the executable (dist/ ships it there);
//  3. not a SEA (the npm route): build/Release of this package;
//     a SEA: the copy embedded as an SEA asset, written into a fresh private
//     directory (mkdtemp, 0700; exclusive create), checked against the sha256
//     embedded at build time, dlopen'ed, then removed (the mapping stays valid).
// dlopen needs a mount without noexec: Docker mounts /dev/shm noexec and hardened
// images /tmp too, so every candidate directory is tried in turn.
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { NativeBinding } from './native'

export const ADDON_FILE = 'tini_native.node'

// Replaced by scripts/build-sea.mjs (esbuild define) with the sha256 of the
// addon it embeds; undeclared (typeof 'undefined') when run from lib/ by tsc.
declare const __TINI_NATIVE_SHA256__: string | undefined
const EMBEDDED_SHA256: string = typeof __TINI_NATIVE_SHA256__ === 'string' ? __TINI_NATIVE_SHA256__ : ''

export interface Attempt {
  where: string
  why: string
}

export class NativeLoadError extends Error {
  constructor(readonly tried: Attempt[]) {
    super(
      `cannot load the native addon ${ADDON_FILE}; tried:\n` +
        tried.map((t) => `  ${t.where}: ${t.why}`).join('\n') +
        `\nfix: copy ${ADDON_FILE} beside the tini-ts executable (${path.join(path.dirname(process.execPath), ADDON_FILE)})` +
        `, or point TINI_TS_ADDON at it, or give TMPDIR a directory on a mount without noexec`,
    )
    this.name = 'NativeLoadError'
  }
}

/** Where the loaded addon came from (diagnostics and tests). */
export let loadedFrom: string | undefined

function dlopen(file: string): NativeBinding {
  const mod = { exports: {} as NativeBinding }
  process.dlopen(mod, file)
  return mod.exports
}

function reason(e: unknown, file?: string): string {
  const err = e as NodeJS.ErrnoException
  let msg = (err && typeof err.message === 'string' ? err.message : String(e)).split('\n')[0]
  // dlopen's message repeats the path: "<file>: failed to map segment from shared object"
  if (file && msg.startsWith(`${file}: `)) msg = msg.slice(file.length + 2)
  if (msg.includes('failed to map segment')) msg += ' (noexec mount?)'
  const code = err && typeof err.code === 'string' && !err.code.startsWith('ERR_') ? err.code : ''
  return code && !msg.includes(code) ? `${code}: ${msg}` : msg
}

interface SeaModule {
  isSea(): boolean
  getRawAsset(key: string): ArrayBuffer
}

function seaModule(): SeaModule | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require('node:sea') as SeaModule
    return sea.isSea() ? sea : undefined
  } catch {
    return undefined // Node without node:sea
  }
}

/** Directories to extract the embedded addon into, in order, without duplicates. */
export function extractionDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = [
    env.XDG_RUNTIME_DIR,
    '/dev/shm',
    env.TMPDIR,
    '/tmp',
    '/var/tmp',
    env.HOME ? path.join(env.HOME, '.cache') : undefined,
  ]
  const seen = new Set<string>()
  const out: string[] = []
  for (const d of list) {
    if (!d || !path.isAbsolute(d)) continue
    const r = path.resolve(d)
    if (!seen.has(r)) {
      seen.add(r)
      out.push(r)
    }
  }
  return out
}

function sha256(data: Uint8Array): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof import('node:crypto')
  return createHash('sha256').update(data).digest('hex')
}

/** Writes the embedded addon into a fresh private directory under `base`, loads it, removes it. */
function loadExtracted(base: string, data: Uint8Array): NativeBinding {
  const dir = fs.mkdtempSync(path.join(base, 'tini-ts-')) // mode 0700
  const file = path.join(dir, ADDON_FILE)
  try {
    const fd = fs.openSync(file, 'wx', 0o700) // O_CREAT|O_EXCL: never an existing file
    try {
      let off = 0
      while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off)
    } finally {
      fs.closeSync(fd)
    }
    const got = sha256(fs.readFileSync(file))
    if (got !== EMBEDDED_SHA256) throw new Error(`content check failed: sha256 ${got} is not ${EMBEDDED_SHA256}`)
    try {
      return dlopen(file)
    } catch (e) {
      throw new Error(reason(e, file))
    }
  } finally {
    // unlinking after dlopen is fine: the mapping outlives the name
    try {
      fs.rmSync(file, { force: true })
      fs.rmdirSync(dir)
    } catch {
      /* best effort */
    }
  }
}

function fromSeaAsset(sea: SeaModule, tried: Attempt[]): NativeBinding | undefined {
  let data: Uint8Array
  try {
    data = new Uint8Array(sea.getRawAsset(ADDON_FILE))
  } catch (e) {
    tried.push({ where: `SEA asset ${ADDON_FILE}`, why: `not embedded (${reason(e)})` })
    return undefined
  }
  if (!EMBEDDED_SHA256) {
    tried.push({ where: `SEA asset ${ADDON_FILE}`, why: 'no sha256 was embedded at build time to check it against' })
    return undefined
  }
  for (const base of extractionDirs()) {
    try {
      const b = loadExtracted(base, data)
      loadedFrom = `SEA asset via ${base}`
      return b
    } catch (e) {
      tried.push({ where: `${base} (extracted copy)`, why: reason(e) })
    }
  }
  return undefined
}

export function loadNative(): NativeBinding {
  const tried: Attempt[] = []
  const tryFile = (file: string): NativeBinding | undefined => {
    try {
      const b = dlopen(file)
      loadedFrom = file
      return b
    } catch (e) {
      tried.push({ where: file, why: reason(e, file) })
      return undefined
    }
  }
  const override = process.env.TINI_TS_ADDON
  if (override) {
    const b = tryFile(override)
    if (b) return b
  }
  const beside = path.join(path.dirname(process.execPath), ADDON_FILE)
  if (fs.existsSync(beside)) {
    const b = tryFile(beside)
    if (b) return b
  } else {
    tried.push({ where: beside, why: 'not present' })
  }
  const sea = seaModule()
  if (sea) {
    const b = fromSeaAsset(sea, tried)
    if (b) return b
  } else {
    const b = tryFile(path.join(__dirname, '..', 'build', 'Release', ADDON_FILE))
    if (b) return b
  }
  throw new NativeLoadError(tried)
}
