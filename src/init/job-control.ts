// Terminal policy: whether the program gets the terminal, and whether tini-ts
// acts as a job of an interactive shell (Ctrl-Z, fg, bg). Pure
// decisions over the facts the addon reports (ttyInfo); the addon does the
// syscalls.
import type { TtyInfo } from '../runtime/native'

/** What the addon's ttyInfo() reports, plus our pid. */
type TtyFacts = TtyInfo & { pid: number }

/** Hand the terminal to the program's group only if it is ours to give: tini
 * takes it even from the background (its own TODO says that is not OK). */
export function shouldTakeTerminal(t: TtyFacts): boolean {
  return t.isatty === 1 && t.foreground === t.pgrp
}

/**
 * Job control, as dumb-init has it: when the program stops (Ctrl-Z reaches
 * its group, which owns the terminal, not ours), tini-ts stops its own group
 * so the shell sees a stopped job and gets its prompt back; the shell's
 * SIGCONT (fg, bg) continues the program and, in the foreground, hands it
 * the terminal again.
 *
 * Whenever the program's own group runs on our controlling terminal, not
 * only when we handed it the terminal at the start: started in the
 * background (`cmd &`), the program's group is as much a job of the shell's
 * as ours, and after `fg` only we can hand it the terminal (the shell gives
 * it to our group). Its first read then stops it (SIGTTIN), and the addon
 * hands it the terminal if our group is the foreground one by then, or stops
 * us (the shell sees a stopped job) until `fg`.
 *
 * Only when someone can continue us: stdin is our controlling terminal
 * (tcgetpgrp works), we are not PID 1 (an init never stops), not a session
 * leader, and our parent is in our session (a shell that waits for us with
 * WUNTRACED). A session leader's group is orphaned (setpgid(2), NOTES): a
 * stop there would be for ever, which is why the kernel drops Ctrl-Z for
 * such groups.
 */
export function jobControlWanted(t: TtyFacts): boolean {
  return t.isatty === 1 && t.foreground > 0 && t.pid !== 1 && t.sid !== t.pid && t.sid > 0 && t.parentSid === t.sid
}
