// Finds and loads the addon, listing every path it tried when none works
// (the node-pty loader pattern). process.dlopen rather than require: inside a
// single-executable application require() loads built-ins only.
import * as path from 'node:path'
import type { NativeBinding } from './native'

export const ADDON_FILE = 'tini_native.node'

export class NativeLoadError extends Error {
  constructor(readonly tried: { where: string; why: string }[]) {
    super(
      `cannot load the native addon ${ADDON_FILE}; tried:\n` +
        tried.map((t) => `  ${t.where}: ${t.why}`).join('\n') +
        `\nfix: copy ${ADDON_FILE} beside the tini-ts executable (${path.dirname(process.execPath)}/)`,
    )
  }
}

function dlopen(file: string): NativeBinding {
  const mod = { exports: {} as NativeBinding }
  process.dlopen(mod, file)
  return mod.exports
}

function candidates(): string[] {
  const list: string[] = []
  if (process.env.TINI_TS_ADDON) list.push(process.env.TINI_TS_ADDON)
  list.push(path.join(path.dirname(process.execPath), ADDON_FILE))
  list.push(path.join(__dirname, '..', 'build', 'Release', ADDON_FILE))
  return list
}

export function loadNative(): NativeBinding {
  const tried: { where: string; why: string }[] = []
  for (const file of candidates()) {
    try {
      return dlopen(file)
    } catch (e) {
      tried.push({ where: file, why: (e as Error).message.split('\n')[0] })
    }
  }
  throw new NativeLoadError(tried)
}
