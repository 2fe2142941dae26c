/*
 * reap_gate.c: the handshake between the SIGCHLD handler, which reaps, and
 * the code that needs our children to stay unreaped for a moment: the spawn
 * (until child_pid names the program, so its status lands in its slot), the
 * start-up fork of fd_facts.c, and every signal the init sends to a child by
 * number (a reaped pid may at once be handed to a stranger).
 *
 * Why sequentially consistent, and not release/acquire: it is Dekker's
 * pattern. The handler stores "deferred" and then loads "holds"; a holder
 * stores "holds" (here: decrements it) and then loads "deferred". Each side
 * writes one variable and reads the other. Release/acquire orders a store
 * only with later stores and a load only with later loads; a store followed
 * by a load of a different variable may be reordered (x86's store buffer
 * does exactly that, and gcc emits plain movs for both). Then the handler
 * can read holds > 0 (and go away, deferring), while the holder reads
 * deferred == 0 (and reaps nothing): a SIGCHLD is lost, and PID 1 waits for
 * an exit it has already missed. With every access seq_cst there is one
 * total order of the four: either the handler's load comes after the
 * release (it sees no hold and reaps), or its store comes before the
 * releaser's exchange (which then sees the flag and reaps). Both may reap;
 * reap_all is safe to run twice at once.
 */
#include "reap_gate.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "handlers.h"

static int holds;         /* how many holds are in force */
static int reap_deferred; /* a SIGCHLD came during a hold */

#define SC __ATOMIC_SEQ_CST

void reap_hold(void) { __atomic_add_fetch(&holds, 1, SC); }

void reap_release(void) {
  if (__atomic_sub_fetch(&holds, 1, SC) != 0) return; /* the last one out reaps */
  if (__atomic_exchange_n(&reap_deferred, 0, SC)) {
    if (reap_all() > 0) wake_js();
    follow_program_stop();
  }
}

int reap_allowed(void) {
  if (__atomic_load_n(&holds, SC) == 0) return 1;
  __atomic_store_n(&reap_deferred, 1, SC);
  /* The last hold may have ended between the two loads, before our store:
   * then nobody would see the flag. Look again. */
  return __atomic_load_n(&holds, SC) == 0;
}

/* waitid(WNOWAIT) reports without reaping: it succeeds for a child of ours
 * that is alive or a zombie, and fails with ECHILD for any other pid. With
 * reaping held, a child it finds stays unreaped, so its pid cannot be handed
 * to another process before the kill: the kill reaches that child. The pid
 * of a child of ours that leads a group is that group's id, and a group id
 * is always the pid of the process that made the group (setpgid and setsid
 * make groups only with the caller's, or the moved child's, own pid); the
 * kernel does not hand that pid out while either exists. So -pid, sent while
 * the child is held, reaches the group that child made, or no one (ESRCH). */
/* waitid(WNOWAIT) on pid (idtype P_PID) or on a process group (P_PGID),
 * retried on EINTR: 0 while it finds an unreaped child of ours. */
static int have_child(idtype_t idtype, pid_t id) {
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int rc;
  while ((rc = waitid(idtype, (id_t)id, &si, WEXITED | WNOHANG | WNOWAIT)) < 0 && errno == EINTR) {}
  return rc == 0;
}

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
 * child without reaping it, and with reaping held it stays in the kernel's
 * books until the kill. One window is left, and stated: between the check
 * and the kill that child could leave the group (setpgid, setsid) as its
 * last member, and the number be handed out and made a new group, within
 * the few hundred nanoseconds of this function. */
int kill_own_group(pid_t pgid, int sig) {
  if (pgid <= 1) return ESRCH;
  reap_hold();
  int err = !have_child(P_PGID, pgid) ? ESRCH : kill(-pgid, sig) == 0 ? 0 : errno;
  reap_release();
  return err;
}
