// Builds (once) and caches a Debian bookworm root filesystem for the
// container test tier, with debootstrap.
//
// Cache:   ${TINI_TS_CACHE:-$HOME/.cache/tini-ts}/rootfs-bookworm
// Marker:  <cache>/rootfs-bookworm.ok  (written only after a complete build,
//          so an interrupted build is thrown away and redone)
// Lock:    <cache>/rootfs-bookworm.lock (flock(1), so two test files, or
//          two checkouts, never build it at the same time)
//
// The cached rootfs is never modified by the tests: test/helpers/runc.ts
// mounts a fresh overlayfs over it for every container.
import { execa } from 'execa'
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const SUITE = 'bookworm'
// Packages added to the minbase variant. redis-server is the workload of the
// tests, procps gives ps/pgrep inside the container, python3 lets tests make
// processes with precise behaviour (orphans, zombies, signal handlers).
export const INCLUDE = ['redis-server', 'procps', 'python3']
// Bump when INCLUDE or the build recipe changes, so caches are rebuilt.
const RECIPE_VERSION = '1'

export function cacheDir(): string {
  return process.env.TINI_TS_CACHE || join(homedir(), '.cache', 'tini-ts')
}

export function rootfsPath(): string {
  return join(cacheDir(), `rootfs-${SUITE}`)
}

function markerPath(): string {
  return `${rootfsPath()}.ok`
}

function recipe(mirror: string): string {
  return JSON.stringify({ v: RECIPE_VERSION, suite: SUITE, include: INCLUDE, mirror })
}

/**
 * The Debian mirror configured for apt on this machine (so the build works
 * wherever apt works). TINI_TS_DEBIAN_MIRROR overrides it. Handles both the
 * one-line format (sources.list, *.list) and deb822 (*.sources); takes the
 * first `deb` source that serves the `bookworm` suite with `main`.
 */
export function debianMirror(): string {
  if (process.env.TINI_TS_DEBIAN_MIRROR) return process.env.TINI_TS_DEBIAN_MIRROR
  const files: string[] = []
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list')
  const d = '/etc/apt/sources.list.d'
  if (existsSync(d)) {
    for (const f of readdirSync(d).sort()) {
      if (f.endsWith('.list') || f.endsWith('.sources')) files.push(join(d, f))
    }
  }
  for (const f of files) {
    let text: string
    try {
      text = readFileSync(f, 'utf8')
    } catch {
      continue
    }
    if (f.endsWith('.sources')) {
      for (const para of text.split(/\n\s*\n/)) {
        const fields: Record<string, string> = {}
        for (const line of para.split('\n')) {
          if (line.startsWith('#')) continue
          const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line)
          if (m) fields[m[1].toLowerCase()] = m[2].trim()
        }
        if (fields.enabled === 'no') continue
        const types = (fields.types || '').split(/\s+/)
        const suites = (fields.suites || '').split(/\s+/)
        const comps = (fields.components || '').split(/\s+/)
        if (types.includes('deb') && suites.includes(SUITE) && comps.includes('main') && fields.uris) {
          return fields.uris.split(/\s+/)[0]
        }
      }
    } else {
      for (const raw of text.split('\n')) {
        const line = raw.replace(/#.*/, '').trim()
        // deb [opts] URI suite components...
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+(.*)$/.exec(line)
        if (m && m[2] === SUITE && m[3].split(/\s+/).includes('main')) return m[1]
      }
    }
  }
  return 'http://deb.debian.org/debian'
}

export interface BuildInfo {
  path: string
  /** true when this process ran debootstrap (false: cache hit, or another process built it while we waited) */
  built: boolean
  seconds: number
}

let memo: Promise<BuildInfo> | undefined

/** Path of the cached rootfs, building it first if needed. */
export async function ensureRootfs(): Promise<string> {
  return (await ensureRootfsInfo()).path
}

/** Like ensureRootfs, and tells whether it was built now and how long it took. */
export function ensureRootfsInfo(): Promise<BuildInfo> {
  if (!memo) memo = build()
  return memo
}

function isComplete(mirror: string): boolean {
  try {
    return readFileSync(markerPath(), 'utf8').trim() === recipe(mirror) &&
      existsSync(join(rootfsPath(), 'usr/bin/redis-server'))
  } catch {
    return false
  }
}

async function build(): Promise<BuildInfo> {
  const target = rootfsPath()
  const mirror = debianMirror()
  if (isComplete(mirror)) return { path: target, built: false, seconds: 0 }
  if (process.getuid?.() !== 0) throw new Error('building the rootfs with debootstrap needs root')
  for (const tool of ['debootstrap', 'flock']) {
    const r = await execa('sh', ['-c', `command -v ${tool}`], { reject: false })
    if (r.exitCode !== 0) {
      throw new Error(`${tool} is not installed: run scripts/ci-install-system.sh`)
    }
  }
  mkdirSync(cacheDir(), { recursive: true })
  const started = Date.now()
  // The whole check-and-build runs under flock in one shell, so a second
  // builder waits, then finds the marker and does nothing.
  const script = `
    set -e
    if [ -f "$MARKER" ] && [ "$(cat "$MARKER")" = "$RECIPE" ] && [ -x "$TARGET/usr/bin/redis-server" ]; then
      echo "rootfs: already built by another process"; exit 0
    fi
    rm -f "$MARKER"
    # An interrupted debootstrap can leave /proc or /sys mounted inside the
    # partial tree: unmount those before removing anything.
    cleanup() {
      grep -F " $TARGET.partial/" /proc/mounts | awk '{print $2}' | sort -r |
        while read -r m; do umount -l "$m" || true; done
      rm -rf --one-file-system "$TARGET.partial"
    }
    cleanup
    rm -rf --one-file-system "$TARGET"
    trap 'cleanup' EXIT
    debootstrap --variant=minbase --include="$INCLUDE" --components=main \
      "$SUITE" "$TARGET.partial" "$MIRROR"
    # Do not keep the downloaded .debs: they double the size of the cache.
    rm -rf "$TARGET.partial"/var/cache/apt/archives/*.deb
    mv "$TARGET.partial" "$TARGET"
    printf '%s\\n' "$RECIPE" > "$MARKER.tmp"
    mv "$MARKER.tmp" "$MARKER"
    trap - EXIT
  `
  const lock = `${target}.lock`
  writeFileSync(lock, '', { flag: 'a' })
  const r = await execa('flock', [lock, 'sh', '-c', script], {
    reject: false,
    all: true,
    env: {
      MARKER: markerPath(),
      RECIPE: recipe(mirror),
      TARGET: target,
      INCLUDE: INCLUDE.join(','),
      SUITE,
      MIRROR: mirror,
      DEBIAN_FRONTEND: 'noninteractive',
    },
  })
  const seconds = (Date.now() - started) / 1000
  if (r.exitCode !== 0) {
    const tail = (r.all || '').split('\n').slice(-40).join('\n')
    throw new Error(`debootstrap of ${SUITE} from ${mirror} failed (exit ${r.exitCode}):\n${tail}`)
  }
  if (!isComplete(mirror)) throw new Error(`rootfs build finished but ${target} is incomplete`)
  const waited = /already built by another process/.test(String(r.all))
  return { path: target, built: !waited, seconds }
}
