// Podman, the real probe client: `podman healthcheck run` and
// `podman kube play` run exec probes the way a kubelet does (an exec session
// entering the container's namespaces). This drives the Debian package.
//
// What this sandbox needs, and why:
// - its own storage (--root/--runroot under the tier's names), so the tests
//   never touch another podman user's images or containers;
// - default ulimits below the hard limits here: podman asks runc for
//   nofile=1048576 by default, which this sandbox refuses ("error setting
//   rlimit type 7: operation not permitted"). `podman run` takes --ulimit,
//   but `kube play` has no such flag, so a containers.conf (CONTAINERS_CONF)
//   sets default_ulimits for both;
// - no systemd: podman cannot install its healthcheck timers (it logs that
//   and goes on), so the tests call `podman healthcheck run` themselves;
// - --network host: no CNI/netavark setup; redis listens on a unix socket.
//
// The image is the tier's debootstrap rootfs (test/helpers/rootfs.ts, with
// redis-server), imported once per rootfs recipe with `podman import`.
import t, { type Test } from 'tap'
import { execa, type Options } from 'execa'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cacheDir, ensureRootfs, rootfsPath } from './rootfs'

export const PODMAN_ROOT = process.env.TINI_TS_PODMAN_ROOT || '/var/lib/tini-ts-podman'
export const PODMAN_RUNROOT = process.env.TINI_TS_PODMAN_RUNROOT || '/run/tini-ts-podman'
const ULIMIT = 4096

function containersConf(): string {
  const dir = cacheDir()
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'podman-containers.conf')
  const text = `[containers]\ndefault_ulimits = ["nofile=${ULIMIT}:${ULIMIT}", "nproc=${ULIMIT}:${ULIMIT}"]\n`
  if (!existsSync(file) || readFileSync(file, 'utf8') !== text) writeFileSync(file, text)
  return file
}

export function podman(args: string[], opts: Options = {}) {
  return execa('podman', ['--root', PODMAN_ROOT, '--runroot', PODMAN_RUNROOT, ...args], {
    reject: false,
    timeout: 120_000,
    stdin: 'ignore',
    ...opts,
    env: { CONTAINERS_CONF: containersConf(), ...(opts.env ?? {}) },
  } as Options)
}

/** Why podman cannot run here, or undefined when it can. */
async function podmanMissing(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the podman scenario needs root'
  const v = await execa('podman', ['--version'], { reject: false })
  if (v.exitCode !== 0) return 'podman is not installed (scripts/ci-install-system.sh installs it)'
  return undefined
}

/** A test of the container tier that needs podman: where it cannot run, the
 * test fails and says why (the tier is meant to run, not to skip). */
export function podmanTest(name: string, fn: (t: Test) => Promise<void>): void {
  t.test(name, async (t) => {
    const why = await podmanMissing()
    if (why) t.fail(why)
    else await fn(t)
  })
}

/** localhost/tini-ts-redis:<recipe hash>, imported from the rootfs if missing. */
export async function ensureImage(): Promise<string> {
  const root = await ensureRootfs()
  const marker = readFileSync(`${rootfsPath()}.ok`, 'utf8')
  const tag = `localhost/tini-ts-redis:${createHash('sha256').update(marker).digest('hex').slice(0, 12)}`
  if ((await podman(['image', 'exists', tag])).exitCode === 0) return tag
  // Under the rootfs lock: two test processes never import at once.
  const r = await execa('flock', [join(cacheDir(), 'rootfs-bookworm.lock'), 'sh', '-c',
    `podman --root "$1" --runroot "$2" image exists "$3" || tar -C "$4" -c . | podman --root "$1" --runroot "$2" import ` +
    `--change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' --change 'CMD ["redis-server"]' - "$3"`,
    'sh', PODMAN_ROOT, PODMAN_RUNROOT, tag, root], { reject: false, timeout: 300_000, env: { CONTAINERS_CONF: containersConf() } })
  if (r.exitCode !== 0) throw new Error(`podman import failed: ${r.stderr}`)
  return tag
}

/** Host pid of a running container's PID 1. */
export async function containerPid(name: string): Promise<number> {
  const r = await podman(['inspect', '-f', '{{.State.Pid}}', name])
  return Number(String(r.stdout).trim())
}
