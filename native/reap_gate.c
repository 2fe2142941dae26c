/*
 * reap_gate.c: the one handshake between reaping (the SIGCHLD handler,
 * reapNow, the catch-up after a hold) and the code that needs our children
 * to stay unreaped for a moment: the spawn (until handlers.c knows the
 * program's pid, so its status lands in its slot), the start-up fork of
 * fd_facts.c, and every signal the init sends to a child by number (a reaped
 * pid may at once be handed to a stranger).
 *
 * Two counters: holds (holders in force) and reaping (reapers inside
 * waitpid). A reaper announces itself, then looks for holds; a holder
 * announces itself, then waits for the reapers already inside to leave. A
 * reaper that finds a hold leaves without reaping and sets reap_deferred;
 * the last holder out reaps for it. So no child is reaped while a hold is in
 * force, and a hold never waits on anything but a reaper already at work.
 * That reaper runs on another thread: reapers block every signal while
 * inside, so no handler of ours can interrupt one and wait for it.
 *
 * Why sequentially consistent, and not release/acquire: it is Dekker's
 * pattern, twice. Each side writes one variable and then reads the other
 * (reaper: reaping, then holds; holder: holds, then reaping; and at the end:
 * reaper stores reap_deferred then reads holds, holder decrements holds then
 * exchanges reap_deferred). Release/acquire orders a store only with later
 * stores and a load only with later loads; a store followed by a load of a
 * different variable may be reordered (x86's store buffer does exactly that,
 * and gcc emits plain movs for both). Then each side reads the other's old
 * value: both proceed (a reap during a hold), or both go away (a SIGCHLD
 * lost: PID 1 waits for an exit it has already missed). With every access
 * seq_cst there is one total order of the four, and at least one side sees
 * the other's write.
 *
 * Its state (the three counters below) is static here; what it reaps with,
 * reap_all and its wake-up, belongs to handlers.c (handlers.h's last
 * section, for this file only).
 */
#define _GNU_SOURCE
#include "reap_gate.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "handlers.h"

static int holds;         /* how many holds are in force */
static int reaping;       /* how many reapers are inside reap_all */
static int reap_deferred; /* a reaper found a hold and left the work to it */

#define SC __ATOMIC_SEQ_CST

/* The gate and the reaping, with every signal already blocked (so that no
 * handler of ours can interrupt a reaper that a holder on this thread would
 * wait for). What JS must hear of is or-ed into *wake. */
static int reap_blocked(int *wake) {
  int n = -1;
  for (;;) {
    __atomic_add_fetch(&reaping, 1, SC);
    if (__atomic_load_n(&holds, SC) == 0) {
      n = reap_all(wake);
      __atomic_sub_fetch(&reaping, 1, SC);
      break;
    }
    __atomic_sub_fetch(&reaping, 1, SC);
    __atomic_store_n(&reap_deferred, 1, SC);
    /* Still held: the last holder out sees the flag and reaps. If the hold
     * ended meanwhile, its holder may have looked before our store: again. */
    if (__atomic_load_n(&holds, SC) > 0) break;
  }
  return n;
}

int reap_gated(void) {
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  int wake = 0, n = reap_blocked(&wake);
  sigprocmask(SIG_SETMASK, &old, NULL);
  wake_for_reaps(wake);
  return n;
}

int reap_gated_in_handler(void) {
  int wake = 0, n = reap_blocked(&wake);
  wake_for_reaps(wake);
  return n;
}

int reap_gate_yield(void) {
  if (__atomic_load_n(&holds, SC) == 0) return 0;
  /* before we leave (reaping drops to 0, which the holder waits for): the
   * holder's exchange at release comes after, and sees it */
  __atomic_store_n(&reap_deferred, 1, SC);
  return 1;
}

void reap_hold(void) {
  __atomic_add_fetch(&holds, 1, SC);
  /* A reaper that looked before our increment may be in waitpid now: let it
   * finish (it is on another thread, and never waits for us). sched_yield is
   * a bare system call. */
  while (__atomic_load_n(&reaping, SC) > 0) sched_yield();
}

void reap_release(void) {
  if (__atomic_sub_fetch(&holds, 1, SC) != 0) return; /* the last one out reaps */
  if (__atomic_exchange_n(&reap_deferred, 0, SC)) {
    reap_gated();
    follow_program_stop();
  }
}

/* waitid(WNOWAIT) on pid (idtype P_PID) or on a process group (P_PGID),
 * retried on EINTR: 1 while it finds an unreaped child of ours. It reports
 * without reaping: alive or a zombie, a child of ours answers; any other pid
 * gives ECHILD. */
static int have_child(idtype_t idtype, pid_t id) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int rc;
  while ((rc = waitid(idtype, (id_t)id, &si, WEXITED | WNOHANG | WNOWAIT)) < 0 && errno == EINTR) {}
  return rc == 0;
}

/* With reaping held, a child the check finds stays unreaped until the kill,
 * so its pid cannot be handed to another process in between: the kill
 * reaches that child. The pid of a child of ours that leads a group is that
 * group's id, and a group id is always the pid of the process that made the
 * group (setpgid and setsid make groups only with the caller's, or the moved
 * child's, own pid); the kernel does not hand that pid out while either
 * exists. So -pid, sent while the child is held, reaches the group that
 * child made, or no one (ESRCH). */
int kill_own_child(pid_t pid, int sig, int group) {
  if (pid <= 1) return ESRCH; /* never kill(-1): every process we may signal */
  reap_hold();
  int err = !have_child(P_PID, pid) ? ESRCH : kill(group ? -pid : pid, sig) == 0 ? 0 : errno;
  reap_release();
  return err;
}

/* A group whose leader is gone (the program's, after its reap) is still the
 * group that leader made while a child of ours is in it: the group never
 * emptied, so its id was never free. waitid(P_PGID, WNOWAIT) finds such a
 * child without reaping it, and with reaping held it stays unreaped until
 * the kill. One window is left, and stated: between the check and the kill
 * that child could leave the group (setpgid, setsid) as its last member, and
 * the number be handed out and made a new group, within the few hundred
 * nanoseconds of this function. */
int kill_own_group(pid_t pgid, int sig) {
  if (pgid <= 1) return ESRCH;
  reap_hold();
  int err = !have_child(P_PGID, pgid) ? ESRCH : kill(-pgid, sig) == 0 ? 0 : errno;
  reap_release();
  return err;
}
