// The portable bundle (dist/tini-ts-portable-linux-x64.tar.gz, unpacked at /)
// on bases without glibc: Alpine 3.20.3 (musl) and a scratch root holding only
// a static busybox; and on the tier's Debian root (a glibc of its own, which the
// bundle does not use). In each, with a read-only root, as uid 65534, and no /tmp
// it could write to and exec from (a noexec tmpfs; scratch: none):
//  - as PID 1: it reaps an orphan and forwards SIGTERM (the program dies of it:
//    exit 143); control: a shell as PID 1 leaves the same orphan a zombie;
//  - as an exec'd probe (`runc exec ... /opt/tini-ts/tini-ts -s -- ...`) under a
//    PID 1 that never reaps (busybox sleep): nothing is left, no process, no
//    zombie; control: the same probe unwrapped leaves both;
//  - an LD_LIBRARY_PATH of the image naming a bogus libstdc++ does not reach it
//    (DT_RPATH comes first); control: the same executable with DT_RUNPATH loads it;
//  - its loader resolves every library of the executable and of the addon
//    inside /opt/tini-ts/lib; control: dist/tini-ts, the plain executable,
//    does not start there at all.
import t, { type Test } from 'tap'
import { execa } from 'execa'
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { psInContainer, zombies } from '../helpers/container-ps'
import { ensureRootfs } from '../helpers/rootfs'
import { alpineRootfs, alpineTarball, ENTRY, PREFIX, portableMissing, scratchRootfs, unpackBundle } from '../helpers/portable'
import { DIST, DIST_BIN, destroy, exec, kill, readStderr, sleep, start, startAttached, withTimeout, type ContainerOpts } from '../helpers/runc'
import { waitFor } from '../helpers/tini'

const NOBODY = 65534
const LOADER = `${PREFIX}/lib/ld-linux-x86-64.so.2`

interface Base {
  name: string
  /** the base's own layers, under the bundle's */
  layers: () => Promise<string[]>
  /** a /tmp mount: a noexec tmpfs (Alpine) or none at all (scratch) */
  tmp: boolean
  /** the base has a glibc of its own (the plain executable starts there too) */
  glibc?: boolean
  skip?: string
}

const missing = portableMissing()
const alpine = alpineTarball()
const BASES: Base[] = [
  {
    name: 'alpine',
    layers: async () => [await alpineRootfs()],
    tmp: true,
    skip: 'missing' in alpine ? `Alpine rootfs: ${alpine.missing}` : undefined,
  },
  {
    name: 'scratch',
    layers: async () => [scratchRootfs()],
    tmp: false,
  },
  {
    // a glibc base: the bundle's own glibc is used there too, nothing mixes with the image's
    name: 'debian',
    layers: async () => [await ensureRootfs()],
    tmp: true,
    glibc: true,
  },
]

function hostPidOf(c: { pid: number }, pred: (argv: string[]) => boolean): number | undefined {
  return psInContainer(c.pid).find((p) => p.state !== 'Z' && pred(p.argv))?.hostPid
}

/** A container on `base` with the bundle above it (and `top`, above the bundle). */
async function container(t: Test, base: Base, bundle: string, extra: Partial<ContainerOpts>, attached = false, top: string[] = []) {
  const layers = await base.layers()
  if (base.name === 'scratch') t.teardown(() => rmSync(layers[0], { recursive: true, force: true }))
  const opts: ContainerOpts = {
    name: `portable-${base.name}`,
    args: ['sleep', '100000'],
    uid: NOBODY,
    gid: NOBODY,
    readonlyRoot: true,
    tmpNoexec: base.tmp,
    lower: [...top, bundle, ...layers],
    ...extra,
  }
  const c = attached ? await startAttached(opts) : await start(opts)
  t.teardown(() => destroy(c))
  return c
}

if (missing) {
  t.fail(missing)
} else {
  let bundle = ''
  t.before(async () => {
    bundle = await unpackBundle('x64')
  })
  t.teardown(() => rmSync(bundle, { recursive: true, force: true }))

  for (const base of BASES) {
    t.test(`${base.name}: the bundle as PID 1 reaps an orphan and forwards SIGTERM`, { skip: base.skip }, async (t) => {
      const c = await container(t, base, bundle, {
        args: [ENTRY, '--', 'sh', '-c', '(sleep 1000 &); exec sleep 1001'],
      }, true)
      // handshake: the program runs under PID 1 and its orphan has been handed to PID 1
      const orphan = await waitFor('the orphan under PID 1', () => psInContainer(c).find((p) => p.argv.join(' ') === 'sleep 1000' && p.ppid === 1), 30_000, 50)
      t.ok(orphan, 'sleep 1000 is an orphan, a child of PID 1')
      const init = psInContainer(c).find((p) => p.pid === 1)
      t.match(init?.argv[0], /^\/opt\/tini-ts\/tini-ts/, 'PID 1 is tini-ts from /opt/tini-ts')
      process.kill(orphan.hostPid, 'SIGKILL')
      await waitFor('the orphan reaped (gone, not a zombie)', () => !psInContainer(c).some((p) => p.hostPid === orphan.hostPid), 15_000, 50)
      t.same(zombies(c), [], 'no zombie')

      await kill(c, 'TERM')
      t.equal(await withTimeout(c.exited!, 20_000), 143, 'exit 143: the program died of the forwarded SIGTERM, and its status is the init\'s')
      t.equal(readStderr(c), '', 'nothing on stderr')
    })

    t.test(`${base.name}: control: a shell as PID 1 leaves the orphan a zombie`, { skip: base.skip }, async (t) => {
      const c = await container(t, base, bundle, { args: ['sh', '-c', '(sleep 1000 &); exec sleep 1001'] })
      const orphan = await waitFor('the orphan under PID 1', () => psInContainer(c).find((p) => p.argv.join(' ') === 'sleep 1000' && p.ppid === 1), 30_000, 50)
      process.kill(orphan.hostPid, 'SIGKILL')
      const z = await waitFor('the orphan a zombie', () => zombies(c).find((p) => p.hostPid === orphan.hostPid), 15_000, 50)
      t.equal(z.ppid, 1, 'a zombie child of PID 1')
    })

    t.test(`${base.name}: as an exec'd probe under a PID 1 that never reaps, leaves nothing`, { skip: base.skip }, async (t) => {
      const c = await container(t, base, bundle, {})
      // one orphan that dies at once (a zombie unless reaped), one that stays (a leftover unless killed)
      const script = '(sleep 0.2 &); sleep 1002 >/dev/null 2>&1 & echo ok'
      const ctl = await exec(c, ['sh', '-c', script], { uid: NOBODY })
      t.equal(ctl.stdout.trim(), 'ok', 'control: the probe answered')
      await waitFor('control: a zombie of PID 1', () => zombies(c).length > 0, 15_000, 50)
      t.ok(hostPidOf(c, (a) => a.join(' ') === 'sleep 1002'), 'control: sleep 1002 is left running')
      const before = new Set(psInContainer(c).map((p) => p.hostPid))

      const r = await exec(c, [ENTRY, '-s', '--', 'sh', '-c', script.replace('1002', '1003')], { uid: NOBODY })
      t.equal(r.exitCode, 0, `exit 0 (${r.stderr.trim()})`)
      t.equal(r.stdout.trim(), 'ok', 'the probe answered')
      t.equal(r.stderr, '', 'nothing on stderr')
      await sleep(600) // an absence, past the short orphan's own end (the control shows it as a zombie)
      const left = psInContainer(c).filter((p) => !before.has(p.hostPid))
      t.same(left.map((p) => `${p.state} ${p.argv.join(' ') || p.comm}`), [], 'no new process and no new zombie')
    })

    t.test(`${base.name}: the image's LD_LIBRARY_PATH does not reach the bundle's libraries`, { skip: base.skip }, async (t) => {
      // a directory of the image, first in LD_LIBRARY_PATH, with a libstdc++.so.6 that is not one
      const bad = mkdtempSync(join(tmpdir(), 'tini-ts-badlib-'))
      t.teardown(() => rmSync(bad, { recursive: true, force: true }))
      mkdirSync(join(bad, 'badlib'))
      writeFileSync(join(bad, 'badlib', 'libstdc++.so.6'), 'not a library\n')
      // control layer: the same executable with DT_RUNPATH (searched after LD_LIBRARY_PATH) in place of DT_RPATH
      const runpath = mkdtempSync(join(tmpdir(), 'tini-ts-runpath-'))
      t.teardown(() => rmSync(runpath, { recursive: true, force: true }))
      mkdirSync(join(runpath, PREFIX.slice(1)), { recursive: true })
      copyFileSync(join(bundle, PREFIX.slice(1), 'tini-ts-node'), join(runpath, PREFIX.slice(1), 'tini-ts-node'))
      const pe = await execa('patchelf', ['--set-rpath', `${PREFIX}/lib`, join(runpath, PREFIX.slice(1), 'tini-ts-node')], { reject: false })
      t.equal(pe.exitCode, 0, `patchelf: ${pe.stderr}`)
      const env = ['LD_LIBRARY_PATH=/badlib']
      const c = await container(t, base, bundle, {}, false, [bad])
      const ok = await exec(c, [ENTRY, '-s', '--', 'sh', '-c', 'exit 5'], { uid: NOBODY, env })
      t.equal(ok.exitCode, 5, `starts, runs the program, passes its status on (${ok.stderr.trim()})`)
      const ctl = await container(t, base, bundle, {}, false, [runpath, bad])
      const bad1 = await exec(ctl, [ENTRY, '--version'], { uid: NOBODY, env })
      t.equal(bad1.exitCode, 127, 'control: with DT_RUNPATH it does not start')
      t.match(bad1.stderr, /\/badlib\/libstdc\+\+\.so\.6/, `control: the image's library was loaded first (${bad1.stderr.trim()})`)
    })

    t.test(`${base.name}: read-only root, uid 65534, no usable /tmp; every library from the bundle`, { skip: base.skip }, async (t) => {
      // the Node executable as the plain build ships it (dist/tini-ts, or dist/tini-ts-node beside a front end)
      const plain = existsSync(join(DIST, 'tini-ts-node')) ? join(DIST, 'tini-ts-node') : DIST_BIN
      const c = await container(t, base, bundle, { mounts: [{ destination: '/usr/local/bin/tini-ts', type: 'bind', source: plain, options: ['bind', 'ro'] }] })
      const id = await exec(c, ['id', '-u'], { uid: NOBODY })
      t.equal(id.stdout.trim(), String(NOBODY), 'probes run as uid 65534')
      const ro = await exec(c, ['touch', `${PREFIX}/x`], { uid: NOBODY })
      t.not(ro.exitCode, 0, 'the root is read-only')
      const root = await exec(c, ['sh', '-c', 'echo > /x'])
      t.not(root.exitCode, 0, 'read-only even for uid 0')
      if (base.tmp) {
        const nx = await exec(c, ['sh', '-c', 'cat /bin/sh > /tmp/b && chmod +x /tmp/b && /tmp/b -c true'], { uid: NOBODY })
        t.equal(nx.exitCode, 126, `/tmp is noexec (${nx.stderr.trim()})`)
      } else {
        t.not((await exec(c, ['test', '-d', '/tmp'])).exitCode, 0, 'there is no /tmp')
      }
      const v = await exec(c, [ENTRY, '--version'], { uid: NOBODY })
      t.equal(v.exitCode, 0, v.stderr)
      t.match(v.stdout, /^tini-ts version /, 'tini-ts --version')
      for (const f of [`${PREFIX}/tini-ts-node`, `${PREFIX}/tini_native.node`]) {
        const l = await exec(c, [LOADER, '--list', f], { uid: NOBODY })
        t.equal(l.exitCode, 0, l.stderr)
        const resolved = [...l.stdout.matchAll(/^\s*(\S+) => (\S+)/gm)].map((m) => [m[1], m[2]])
        t.ok(resolved.some(([n]) => n === 'libc.so.6'), `${f}: libc.so.6 listed`)
        t.same(resolved.filter(([, p]) => !p.startsWith(`${PREFIX}/lib/`)), [], `${f}: every library resolves in ${PREFIX}/lib`)
      }
      // control: the plain executable (glibc from the image) does not start on this base
      const ctl = await exec(c, ['sh', '-c', '/usr/local/bin/tini-ts --version'], { uid: NOBODY })
      if (base.glibc) t.equal(ctl.exitCode, 0, `${basename(plain)}, the plain executable, starts here too (the image's glibc)`)
      else t.equal(ctl.exitCode, 127, `control: ${basename(plain)}, the plain executable, does not start here (${ctl.stderr.trim()})`)
    })
  }
}
