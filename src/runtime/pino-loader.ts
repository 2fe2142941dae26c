// pino, loaded only when a JSON line is first logged (src/init/log.ts).
//
// In the executable pino is not part of the main script: its ~100 KiB there
// cost every start about 0.6 ms of CPU (measured against the empty floor with
// and without it bundled), runs that log no JSON line included. So
// scripts/build-sea.mjs bundles it on its own as the SEA asset pino.cjs, and
// it is compiled from there on first use. On the npm route it is a plain
// require.

interface SeaAssets {
  isSea(): boolean
  getAsset(key: string, encoding: string): string
}

/** The text of a SEA asset, or undefined outside an executable (or without it). */
function seaAssetText(key: string): string | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require('node:sea') as SeaAssets
    return sea.isSea() ? sea.getAsset(key, 'utf8') : undefined
  } catch {
    return undefined // no node:sea, or no such asset
  }
}

export function loadPino(): typeof import('pino') {
  const code = seaAssetText('pino.cjs')
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  if (code === undefined) return require('pino') as typeof import('pino')
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const vm = require('node:vm') as typeof import('node:vm')
  const mod = { exports: {} as unknown }
  // the bundle needs built-ins only, which the executable's require loads
  const run = vm.compileFunction(code, ['exports', 'require', 'module'], { filename: 'tini-ts:pino.cjs' }) as (exports: unknown, req: NodeJS.Require, module: { exports: unknown }) => void
  run(mod.exports, require, mod)
  return mod.exports as typeof import('pino')
}
