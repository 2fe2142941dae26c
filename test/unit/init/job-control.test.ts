// The terminal policy over the facts the addon reports: whether the program
// gets the terminal, and whether tini-ts acts as a job of a shell. Each
// "no" changes one fact of a case that says "yes".
import t from 'tap'
import { jobControlWanted, shouldTakeTerminal } from '../../../src/init/job-control'

/** tini-ts run by an interactive shell in the foreground: bash (pid 50,
 * session 50) made tini-ts (pid 100) the leader of its own group 100 and
 * gave that group the terminal. */
const FOREGROUND_JOB = { pid: 100, isatty: 1, foreground: 100, pgrp: 100, sid: 50, parentSid: 50 }

t.test('a foreground job of a shell: takes the terminal, does job control', async (t) => {
  t.equal(shouldTakeTerminal(FOREGROUND_JOB), true)
  t.equal(jobControlWanted(FOREGROUND_JOB), true)
})

t.test('stdin is not a terminal: neither', async (t) => {
  const notTty = { ...FOREGROUND_JOB, isatty: 0, foreground: -1 }
  t.equal(shouldTakeTerminal(notTty), false)
  t.equal(jobControlWanted(notTty), false)
  // isatty alone decides, even were tcgetpgrp to answer
  t.equal(shouldTakeTerminal({ ...FOREGROUND_JOB, isatty: 0 }), false)
  t.equal(jobControlWanted({ ...FOREGROUND_JOB, isatty: 0 }), false)
})

t.test('started in the background (cmd &): the terminal is not ours to give, but we are still a job', async (t) => {
  const background = { ...FOREGROUND_JOB, foreground: 50 }
  t.equal(shouldTakeTerminal(background), false, "the shell's group has the terminal: leave it")
  t.equal(jobControlWanted(background), true, 'fg may hand it to us later: follow the program')
})

t.test('no foreground group on the terminal (tcgetpgrp failed): no job control', async (t) => {
  for (const foreground of [0, -1]) {
    const none = { ...FOREGROUND_JOB, foreground }
    t.equal(jobControlWanted(none), false, `foreground ${foreground}`)
    t.equal(shouldTakeTerminal(none), false, `foreground ${foreground}`)
  }
})

t.test('PID 1 never stops: no job control, though it takes the terminal', async (t) => {
  const pid1 = { ...FOREGROUND_JOB, pid: 1, pgrp: 1, foreground: 1, sid: 1, parentSid: 0 }
  t.equal(jobControlWanted(pid1), false)
  t.equal(shouldTakeTerminal(pid1), true)
  // PID 1 in a session made outside (docker run -t: runc is the session leader)
  t.equal(jobControlWanted({ ...FOREGROUND_JOB, pid: 1 }), false, 'pid 1 alone decides')
})

t.test('a session leader (setsid tini-ts): its group is orphaned, a stop would be for ever', async (t) => {
  const leader = { ...FOREGROUND_JOB, sid: 100, parentSid: 50 }
  t.equal(jobControlWanted(leader), false)
  t.equal(jobControlWanted({ ...leader, parentSid: 100 }), false, 'even were the parent in our session')
})

t.test('the parent is in another session (docker exec -t, sudo on a pty): nobody would continue us', async (t) => {
  t.equal(jobControlWanted({ ...FOREGROUND_JOB, parentSid: 7 }), false)
  t.equal(jobControlWanted({ ...FOREGROUND_JOB, parentSid: 0 }), false, 'parent outside our PID namespace')
  t.equal(shouldTakeTerminal({ ...FOREGROUND_JOB, parentSid: 7 }), true, 'the terminal is still ours to hand on')
})

t.test('a session we cannot see (sid 0: its leader is outside our PID namespace): no job control', async (t) => {
  t.equal(jobControlWanted({ ...FOREGROUND_JOB, sid: 0, parentSid: 0 }), false)
})
