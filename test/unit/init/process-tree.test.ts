import t from 'tap'
import { descendants, type ProcInfo } from '../../../src/init/process-tree'

const p = (pid: number, ppid: number, pgrp = pid, session = 1, state = 'S'): ProcInfo => ({ pid, ppid, pgrp, session, state, comm: 'x' })

t.test('the tree: children by parent link, and members of groups/sessions the tree started', async (t) => {
  const INIT = 10
  const procs = [
    p(1, 0),
    p(INIT, 1, INIT),
    p(20, INIT, 20), // the program, its own group
    p(21, 20, 20), // its child
    p(22, 21, 20), // grandchild
    p(30, 1, 20), // re-parented elsewhere, still in the program's group
    p(40, 1, 40, 21), // in the session tree member 21 leads, re-parented elsewhere
    p(41, 40, 40, 21), // and its child
    p(50, 1, 50, 50), // unrelated
    p(60, INIT, 60, 60), // an orphan re-parented to the init
  ]
  const got = descendants(procs, INIT).map((x) => x.pid).sort((a, b) => a - b)
  t.same(got, [20, 21, 22, 30, 40, 41, 60])
  t.notOk(got.includes(INIT), 'never the init itself')
})

t.test("the program's group after the program is reaped: while a member of ours is in it, and not after", async (t) => {
  const INIT = 10
  const PROG = 20
  // 31 is ours by parent link and still in the program's group; 32 was
  // re-parented elsewhere but is in that group too
  const kept = [p(INIT, 1), p(31, INIT, PROG), p(32, 1, PROG)]
  t.same(descendants(kept, INIT, PROG).map((x) => x.pid).sort(), [31, 32], 'a member is in it: the group is still the one the program made')
  t.same(descendants(kept, INIT).map((x) => x.pid), [31], 'not without being told which group is the program\'s')
  // 31 left the group; the number now leads a stranger's group
  const gone = [p(INIT, 1), p(31, INIT, 31), p(PROG, 1, PROG, PROG), p(32, PROG, PROG, PROG)]
  t.same(descendants(gone, INIT, PROG).map((x) => x.pid), [31], 'no member of ours in it: the recycled group is not adopted')
})

t.test('a group or session id alone adopts no one: only one whose leader is a member', async (t) => {
  const INIT = 10
  const procs = [
    p(INIT, 1),
    p(20, INIT, 20, 20), // ours, leads a group and a session
    p(21, 1, 20, 20), // in 20's group and session, re-parented elsewhere: ours
    p(50, 1, 50, 50), // a stranger leading its own group and session
    p(51, 1, 50, 50), // in the stranger's group
    p(52, 1, 52, 50), // in the stranger's session, a group of its own
    p(60, 1, INIT, INIT), // in the init's own group and session: the init is not a member
  ]
  t.same(descendants(procs, INIT).map((x) => x.pid).sort(), [20, 21])
  // control: once the stranger's leader is one of ours, its group and session are adopted
  const adopted = procs.map((x) => (x.pid === 50 ? { ...x, ppid: 20 } : x))
  t.same(descendants(adopted, INIT).map((x) => x.pid).sort(), [20, 21, 50, 51, 52])
})

t.test('a stranger with the recycled pid of the reaped program, a group and session leader, is not ours', async (t) => {
  const INIT = 10
  const PROG = 20
  const procs = [p(INIT, 1), p(30, INIT, 30), p(PROG, 1, PROG, PROG), p(21, PROG, 21, PROG)]
  t.same(descendants(procs, INIT, PROG).map((x) => x.pid), [30])
})
