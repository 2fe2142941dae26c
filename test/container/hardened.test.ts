// tini-ts in a hardened container: read-only root filesystem, /tmp a tmpfs
// mounted noexec,nosuid,nodev, uid/gid 65534 (nobody), no new privileges,
// only the default runc capabilities, and dist/tini-ts with its addon
// bind-mounted read-only into /usr/local/bin.
//  1. With the addon beside the executable, it starts and keeps running.
//  2. Without it, and nowhere writable+executable to extract one to, it
//     must fail at start, saying what it tried.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { psInContainer } from '../helpers/container-ps'
import {
  destroy, distMissing, exec, kill, readStderr, sleep, startAttached, state,
  waitStopped, withTimeout, type ContainerOpts,
} from '../helpers/runc'
import { waitFor } from '../helpers/tini'

const NOBODY = 65534

function hardened(extra: Partial<ContainerOpts> = {}): ContainerOpts {
  return {
    name: 'hardened',
    args: ['/usr/local/bin/tini-ts', '--', 'sleep', '1000'],
    uid: NOBODY,
    gid: NOBODY,
    readonlyRoot: true,
    tmpNoexec: true,
    tini: true,
    tiniAddon: true,
    ...extra,
  }
}

function uidOf(hostPid: number): number | undefined {
  const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${hostPid}/status`, 'utf8'))
  return m ? Number(m[1]) : undefined
}

const missing = distMissing()
if (missing) {
  t.fail(missing)
} else {
  t.test('starts and stays up as nobody on a read-only root with noexec /tmp', async (t) => {
    const c = await startAttached(hardened())
    t.teardown(() => destroy(c))

    // Handshake: the program runs under PID 1 (start-up as nobody can be slow
    // on a loaded machine); then 2 s more show that it stays up.
    await waitFor('sleep under tini-ts', () => psInContainer(c).some((p) => p.argv[0] === 'sleep' && p.ppid === 1), 30_000, 50)
    await sleep(2_000)
    const st = await state(c)
    t.equal(st.status, 'running', 'still running 2 s after its program started')
    const ps = psInContainer(c)
    const init = ps.find((p) => p.pid === 1)
    t.equal(init?.argv[0], '/usr/local/bin/tini-ts', 'tini-ts is PID 1')
    const child = ps.find((p) => p.argv[0] === 'sleep')
    t.equal(child?.ppid, 1, 'sleep is the child of tini-ts')
    t.equal(init && uidOf(init.hostPid), NOBODY, 'tini-ts runs as uid 65534')
    t.equal(readStderr(c), '', 'nothing on stderr')

    // The hardening is real: the root is read-only, /tmp is writable but noexec.
    const ro = await exec(c, ['sh', '-c', 'touch /usr/local/bin/x'], { uid: NOBODY })
    t.not(ro.exitCode, 0, 'root filesystem is not writable')
    const nx = await exec(c, ['sh', '-c', 'cp /bin/true /tmp/t && chmod +x /tmp/t && /tmp/t'], { uid: NOBODY })
    t.equal(nx.exitCode, 126, `/tmp is writable but noexec (${nx.stderr.trim()})`)

    await kill(c, 'TERM')
    const end = await waitStopped(c, 10_000)
    t.ok(end.status === 'stopped' || end.status === 'gone', 'stops on TERM')
    t.equal(await withTimeout(c.exited!, 10_000), 143, 'exit status 128+15: sleep was killed by the forwarded SIGTERM')
  })

  t.test('without the addon beside it, fails at start listing what it tried', async (t) => {
    const c = await startAttached(hardened({ tiniAddon: false }))
    t.teardown(() => destroy(c))

    const code = await withTimeout(c.exited!, 15_000)
    t.not(code, 'timeout', 'exits by itself')
    t.not(code, 0, `non-zero exit status (${code})`)
    const err = readStderr(c)
    t.comment(err.trim())
    t.match(err, /tini_native\.node/, 'names the addon')
    t.match(err, /\/usr\/local\/bin\/tini_native\.node/, 'lists the path beside the executable')
    t.match(err, /tried/, 'says what was tried')
    t.match(err, /\/tmp\b/, 'lists /tmp among the places tried')
  })

  t.test('without the addon beside it, starts when TMPDIR is an exec-able tmpfs', async (t) => {
    // The fix the failure message suggests: the embedded copy of the addon
    // is extracted into TMPDIR, loaded, and removed.
    const c = await startAttached(hardened({
      tiniAddon: false,
      env: { TMPDIR: '/run/tini-ts' },
      mounts: [{
        destination: '/run/tini-ts',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'nodev', 'mode=0700', `uid=${NOBODY}`, `gid=${NOBODY}`, 'size=16m'],
      }],
    }))
    t.teardown(() => destroy(c))

    await sleep(1_500)
    t.equal((await state(c)).status, 'running', 'still running after 1.5 s')
    const init = psInContainer(c).find((p) => p.pid === 1)
    t.equal(init?.argv[0], '/usr/local/bin/tini-ts', 'tini-ts is PID 1')
    t.equal(readStderr(c), '', 'nothing on stderr')
    const left = await exec(c, ['ls', '-A', '/run/tini-ts'], { uid: NOBODY })
    t.equal(left.stdout.trim(), '', 'the extracted copy was removed after loading')
  })
}
