// Dockerfile.example's portable stages, built for real with `podman build` and
// run: `--target portable-alpine` on a local Alpine 3.20 base (imported from
// the minirootfs tarball: podman cannot pull here) and `--target
// portable-scratch`, each with the bundle from the build context
// (--build-arg BUNDLE=bundle-from-context: dist/tini-ts-portable-linux-x64.tar.gz).
// In each image:
//  - tini-ts is PID 1; `podman kill -s TERM` reaches the program, which dies of
//    it, and the container's exit status is 143;
//  - under a PID 1 that never reaps (busybox sleep as the entrypoint),
//    `podman healthcheck run` through /opt/tini-ts/tini-ts -s and `podman exec`
//    through it leave nothing; control: the same probe through plain
//    `podman exec` leaves a zombie of PID 1 and a running leftover.
// The scratch image holds only the bundle: busybox (Debian's static one) is
// bind-mounted to give it a program to run. Every image and container made
// here has a unique name and is removed.
import t, { type Test } from 'tap'
import { linkSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { psInContainer, zombies } from '../helpers/container-ps'
import { alpineTarball, BUSYBOX, ENTRY, portableMissing, REPO, tarball } from '../helpers/portable'
import { containerPid, podman, podmanTest } from '../helpers/podman'
import { DIST, sleep } from '../helpers/runc'
import { waitFor } from '../helpers/tini'

const ULIMITS = ['--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096']
let seq = 0
const uniq = (what: string) => `tini-ts-portable-${what}-${process.pid}-${seq++}`

interface Variant {
  target: string
  /** run options that give the image a program: none for Alpine, busybox for scratch */
  runArgs: string[]
  /** argv of a shell command in the container */
  sh: string[]
  sleep: string[]
}

const VARIANTS: Variant[] = [
  { target: 'portable-alpine', runArgs: [], sh: ['sh', '-c'], sleep: ['sleep'] },
  { target: 'portable-scratch', runArgs: ['-v', `${BUSYBOX}:/bin/busybox:ro`, '--env', 'PATH=/bin'], sh: ['/bin/busybox', 'sh', '-c'], sleep: ['/bin/busybox', 'sleep'] },
]

async function build(t: Test, target: string, base: string, context: string): Promise<string> {
  const tag = `localhost/${uniq(target)}:latest`
  const r = await podman(['build', '-f', join(REPO, 'Dockerfile.example'), '--target', target, '--pull=never',
    '--build-arg', 'BUNDLE=bundle-from-context', '--build-arg', 'BUNDLE_ARCH=x64', '--build-arg', `ALPINE_IMAGE=${base}`,
    '-t', tag, context], { timeout: 300_000 })
  // the stages' intermediate images ("--> <id>" after each step) go too, the image first
  const steps = [...String(r.stdout).matchAll(/^--> (?:Using cache )?([0-9a-f]{11,64})\b/gm)].map((m) => m[1]).reverse()
  t.teardown(async () => {
    await podman(['rmi', '-f', tag])
    for (const id of steps) await podman(['rmi', id])
  })
  if (r.exitCode !== 0) throw new Error(`podman build --target ${target} failed: ${r.stderr}`)
  return tag
}

async function run(t: Test, v: Variant, image: string, extra: string[], cmd: string[]): Promise<{ name: string; pid: number }> {
  const name = uniq('c')
  const r = await podman(['run', '-d', '--name', name, '--network', 'host', ...ULIMITS, ...v.runArgs, ...extra, image, ...cmd])
  t.teardown(() => podman(['rm', '-f', '-t', '0', name]))
  if (r.exitCode !== 0) throw new Error(`podman run failed: ${r.stderr}`)
  return { name, pid: await containerPid(name) }
}

const missing = portableMissing()
const alpine = alpineTarball()
if (missing) {
  t.fail(missing)
} else if ('missing' in alpine) {
  t.test('podman builds of the portable stages', { skip: `Alpine rootfs: ${alpine.missing}` }, async () => {})
} else {
  podmanTest('podman builds of the portable stages', async (t) => {
    // the local base image the Alpine stage's FROM resolves to
    const base = `localhost/${uniq('alpine')}:3.20`
    const imp = await podman(['import', alpine.file, base], { timeout: 300_000 })
    t.teardown(() => podman(['rmi', '-f', base]))
    t.equal(imp.exitCode, 0, `podman import of the Alpine minirootfs (${String(imp.stderr).trim()})`)
    // a build context holding only the tarball, at the path the Dockerfile names
    const context = mkdtempSync(join(DIST, '.podman-context-'))
    t.teardown(() => rmSync(context, { recursive: true, force: true }))
    mkdirSync(join(context, 'dist'))
    linkSync(tarball('x64'), join(context, 'dist', 'tini-ts-portable-linux-x64.tar.gz'))

    for (const v of VARIANTS) {
      t.test(v.target, async (t) => {
        const image = await build(t, v.target, base, context)
        const ls = await podman(['run', '--rm', ...ULIMITS, '--entrypoint', ENTRY, image, '--version'])
        t.match(String(ls.stdout), /^tini-ts version /, `${v.target}: /opt/tini-ts/tini-ts --version`)

        t.test('tini-ts is PID 1 and forwards SIGTERM: exit 143', async (t) => {
          const c = await run(t, v, image, [], [...v.sleep, '1000'])
          await waitFor('the program under PID 1', () => psInContainer(c.pid).find((p) => p.argv.includes('1000') && p.ppid === 1), 30_000, 50)
          t.match(psInContainer(c.pid).find((p) => p.pid === 1)?.argv[0], /^\/opt\/tini-ts\/tini-ts/, 'PID 1 is tini-ts from /opt/tini-ts (the ENTRYPOINT)')
          const k = await podman(['kill', '-s', 'TERM', c.name])
          t.equal(k.exitCode, 0, String(k.stderr))
          const w = await podman(['wait', c.name], { timeout: 60_000 })
          t.equal(String(w.stdout).trim(), '143', 'exit status 143: the program died of the forwarded SIGTERM')
        })

        t.test('probes under a PID 1 that never reaps: healthcheck run and exec through tini-ts leave nothing', async (t) => {
          const script = (n: number) => `(sleep 0.2 &); sleep ${n} >/dev/null 2>&1 & echo ok`
          const healthCmd = JSON.stringify([ENTRY, '-s', '--', ...v.sh, script(1003)])
          const c = await run(t, v, image, ['--entrypoint', v.sleep[0], '--health-cmd', healthCmd, '--health-interval', '0'],
            [...v.sleep.slice(1), '100000'])
          t.equal(psInContainer(c.pid).find((p) => p.pid === 1)?.argv.includes('100000'), true, 'PID 1 is sleep: it never reaps')

          const ctl = await podman(['exec', c.name, ...v.sh, script(1002)])
          t.equal(String(ctl.stdout).trim(), 'ok', 'control: the unwrapped probe answered')
          await waitFor('control: a zombie of PID 1', () => zombies(c.pid).length > 0, 15_000, 50)
          t.ok(psInContainer(c.pid).some((p) => p.state !== 'Z' && p.argv.includes('1002')), 'control: its leftover runs on')
          const before = new Set(psInContainer(c.pid).map((p) => p.hostPid))

          const hc = await podman(['healthcheck', 'run', c.name], { timeout: 60_000 })
          t.equal(hc.exitCode, 0, `healthcheck run through tini-ts: healthy ${String(hc.stderr).trim()}`)
          const health = JSON.parse(String((await podman(['inspect', c.name, '--format', '{{json .State.Health}}'])).stdout)) as { Log: { ExitCode: number; Output: string }[] }
          t.equal(health.Log.at(-1)?.Output.trim(), 'ok', 'the health check ran the probe: its output is "ok"')
          const ex = await podman(['exec', c.name, ENTRY, '-s', '--', ...v.sh, script(1004)])
          t.equal(ex.exitCode, 0, String(ex.stderr))
          t.equal(String(ex.stdout).trim(), 'ok', 'exec through tini-ts: answered')
          await sleep(600) // an absence, past the short orphans' own end (the control shows one as a zombie)
          const left = psInContainer(c.pid).filter((p) => !before.has(p.hostPid))
          t.same(left.map((p) => `${p.state} ${p.argv.join(' ') || p.comm}`), [], 'no new process and no new zombie')
        })
      })
    }
  })
}
