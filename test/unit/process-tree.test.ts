import t from 'tap'
import { descendants, type ProcInfo } from '../../src/process-tree'

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

t.test("the program's group counts even after its leader is gone", async (t) => {
  const procs = [p(10, 1), p(31, 1, 20), p(32, 31, 20)]
  t.same(descendants(procs, 10).map((x) => x.pid), [], 'not without being told')
  t.same(descendants(procs, 10, [20]).map((x) => x.pid).sort(), [31, 32])
})
