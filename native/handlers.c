/*
 * handlers.c: the one owner of the addon's signals. It installs the handlers
 * and gives the dispositions back (no other file calls sigaction, but the
 * child resetting its own before exec, child.c); it holds, static, all the
 * state they share: the policy TS set, the program, its exit slot, the
 * counters; and it is the code that runs inside them. Other files reach that
 * state only through handlers.h. Beside it, each static in its own file: the
 * event ring (ring.c), the wake-up of JS (wake.c), the hold on reaping
 * (reap_gate.c).
 *
 * Handler code may call only async-signal-safe functions (signal-safety(7)):
 * a handler interrupts Node anywhere, on any of its threads, possibly while
 * it holds malloc's lock. So every such function is marked with the calls it
 * makes, each listed there (or a plain system call, or a lock-free atomic);
 * none allocates, locks, or uses stdio. A handler may run on several threads
 * at once, so the state is atomics (signal_safe.h). The lifecycle, in the
 * last section, runs on the JS thread only. README.md ("How it works") lists
 * the rules the handlers apply, and why each lives here, not in TypeScript.
 */
#define _GNU_SOURCE
#include "handlers.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reap_gate.h"
#include "job_control.h"
#include "ring.h"
#include "signal_safe.h"
#include "wake.h"
#include "zombie_stat.h"

/* ---- the state: every field atomic (LOAD/STORE/ADD/XCHG) ------------------- */

/* The policy, set by TS (the lifecycle below), read by the handlers. */
static int fwd_map[MAX_SIG];   /* signal to send for each one received; 0 = drop */
static uint64_t own_drop_mask; /* bit sig-1: drop this signal when we raised it ourselves */
static pid_t self_pid;         /* ours, for that test; set at install */
static int to_group;           /* 1 = kill(-pgid) instead of kill(pid) */
static int details;            /* 1 = read comm/starttime of reaped orphans */
static int job_control;        /* 1 = follow the program's stops */
/* 1 = each orphan reaped becomes an event for JS (it logs them); 0 = only
 * counted (orphans_total): in an orphan storm nothing wakes JS for a reap
 * nobody will hear of. */
static int reap_events = 1;
static int reap_name_only;     /* 1 = of the details, only the name (read from proc_dir_fd) */
static int proc_dir_fd = -1;   /* /proc, opened by handlers_set_reap_events; -1: none */

/* The program. */
static pid_t child_pid; /* 0 until spawned */
static int child_alive;
/* The program's wait status once reaped, -1 before: a slot of its own, not
 * the ring, so a storm that fills the ring cannot lose it. drain() turns it
 * into one programExited event (program_exit_pending: not yet drained). */
static int program_status = -1;
static int program_exit_pending;
static uint64_t pending_mask; /* signals that arrived before the program ran */

/* The counters for stats(). */
static uint64_t reaped_total, forwarded_total;
static uint64_t orphans_total; /* reaped, other than the program */

/* ---- reaping ------------------------------------------------------------- */

/* What a reap asks of JS (reap_all's *wake). */
#define WAKE_LAZY 1   /* an orphan's event: may join a batch */
#define WAKE_NOW 2    /* the program's exit: at once */

/* The program's status goes to its own slot (lossless), an orphan's to the
 * ring, or only to the count when nobody logs it. Returns WAKE_*, or 0.
 * Async-signal-safe: atomics, memset, ring_push. */
static int record_reap(pid_t pid, int status, const event_t *peek) {
  ADD(&reaped_total, 1);
  if (pid == LOAD(&child_pid)) {
    STORE(&program_status, status);
    STORE(&child_alive, 0);
    STORE(&program_exit_pending, 1); /* after the status: drain() reads it then */
    return WAKE_NOW;
  }
  ADD(&orphans_total, 1);
  if (!LOAD(&reap_events)) return 0;
  event_t ev;
  if (peek) ev = *peek; else memset(&ev, 0, sizeof ev);
  ev.type = EV_REAPED;
  ev.pid = pid;
  ev.status = status;
  ring_push(&ev);
  return WAKE_LAZY;
}

/* Wake JS as the reaps asked (reap_all's *wake): at once for the program,
 * lazily for orphans to log, not at all for orphans only counted.
 * Async-signal-safe: wake_js, wake_js_lazy. */
void wake_for_reaps(int wake) {
  if (wake & WAKE_NOW) wake_js();
  else if (wake & WAKE_LAZY) wake_js_lazy();
}

/* Reap every child that is dead now: waitpid(-1, WNOHANG) until it says no
 * more, as SIGCHLD does not queue (one signal may stand for many exits);
 * what JS must hear of is or-ed into *wake. The name and age of the reaped
 * are read only when JS will log them, within zombie_stat.c's budget.
 * Async-signal-safe: waitid, waitpid, zombie_read_allowed, read_zombie,
 * record_reap. */
int reap_all(int *wake) {
  int n = 0;
  for (;;) {
    if (reap_gate_yield()) break; /* a holder came: it reaps the rest */
    int status;
    pid_t pid;
    /* Past the name budget nothing is read, and a peek would be one more
     * wait call per orphan in the storms the budget is for. */
    if (LOAD(&details) && LOAD(&reap_events) && zombie_read_budget_left()) {
      /* Peek first (WNOWAIT) so the zombie's /proc entry is still there. */
      siginfo_t si;
      memset(&si, 0, sizeof si);
      /* Test errno only when waitid failed: after a success that found
       * nothing (si_pid 0) errno is stale, and a stale EINTR spun here
       * forever at 100% CPU. */
      int rc = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0 || si.si_pid == 0) break; /* ECHILD, or none dead yet */
      event_t peek;
      memset(&peek, 0, sizeof peek);
      if (zombie_read_allowed()) read_zombie(si.si_pid, LOAD(&reap_name_only) ? LOAD(&proc_dir_fd) : -1, &peek);
      pid = waitpid(si.si_pid, &status, WNOHANG);
      if (pid <= 0) continue; /* another thread's handler took it */
      *wake |= record_reap(pid, status, &peek);
    } else {
      pid = waitpid(-1, &status, WNOHANG);
      if (pid < 0 && errno == EINTR) continue;
      if (pid <= 0) break; /* 0: children alive, none dead; -1 ECHILD: none */
      *wake |= record_reap(pid, status, NULL);
    }
    n++;
  }
  return n;
}

/* ---- job control, only after setJobControl(true) --------------- */

/* The program while its stops are followed (job control on, the program
 * spawned and not reaped), else 0. The terminal side is job_control.c.
 * Async-signal-safe: atomics. */
static pid_t followed_program(void) {
  pid_t pid = LOAD(&child_pid);
  return LOAD(&job_control) && pid > 0 && LOAD(&child_alive) ? pid : 0;
}

/* Async-signal-safe: followed_program, stop_with_program. */
void follow_program_stop(void) {
  pid_t pid = followed_program();
  if (pid) stop_with_program(pid);
}

/* ---- forwarding ---------------------------------------------------------- */

/* Async-signal-safe: memset, atomics. */
static event_t signal_event(int sig, pid_t sender) {
  event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = EV_SIGNAL;
  ev.status = sig;
  ev.sender = sender;
  ev.sent_as = LOAD(&fwd_map[sig]);
  return ev;
}

/* Send sig on as the policy table says. Never to a reaped program, nor to
 * its group (-g) once it is reaped: its pid may already belong to another
 * process, which may lead a group of its own. kill_own_child checks, with
 * reaping held, that the pid still names our unreaped child. A group the
 * program made and left behind is not reached by -g after the program's
 * end: nothing then proves that the number is still that group's.
 * Async-signal-safe: kill_own_child, atomics, ring_push. */
static void send_to_child(int sig, pid_t sender) {
  event_t ev = signal_event(sig, sender);
  int to = ev.sent_as;
  pid_t pid = LOAD(&child_pid);
  if (to == 0) {
    ev.err = 0; /* dropped by policy (--rewrite SIG:0) */
  } else if (pid <= 0) {
    ev.err = SIGNAL_HELD; /* no program yet (pending_mask) */
  } else {
    int group = LOAD(&to_group);
    ev.pid = group ? -pid : pid;
    ev.err = LOAD(&child_alive) ? kill_own_child(pid, to, group) : ESRCH;
    if (ev.err == 0) ADD(&forwarded_total, 1);
  }
  ring_push(&ev);
}

/* Deliver the signals held while the program was being started (spawn.c
 * calls it once the program runs). Whoever exchanges the mask delivers it,
 * so each held signal goes out once. Async-signal-safe: atomics,
 * send_to_child. */
void program_deliver_held(void) {
  uint64_t m = __atomic_exchange_n(&pending_mask, 0, __ATOMIC_SEQ_CST); /* see on_signal */
  for (int sig = 1; m && sig < MAX_SIG; sig++) {
    if (m & (1ULL << (sig - 1))) {
      m &= ~(1ULL << (sig - 1));
      send_to_child(sig, 0);
    }
  }
}

/* The handler of every forwarded signal. Async-signal-safe: errno saved and
 * restored; followed_program, continue_program, send_to_child, ring_push,
 * program_deliver_held, wake_js. */
static void on_signal(int sig, siginfo_t *si, void *uctx) {
  (void)uctx;
  int saved = errno;
  pid_t sender = si ? si->si_pid : 0;
  /* A signal the kernel raised on us for our own act (SIGPIPE/SIGXFSZ after a
   * log write: si_code SI_USER, si_pid ours) is ours, not the program's; TS
   * names these signals (installHandlers' ownDrop). The write fails with
   * EPIPE/EFBIG instead. */
  if (si && si->si_code == SI_USER && sender == LOAD(&self_pid) && (LOAD(&own_drop_mask) & (1ULL << (sig - 1)))) {
    errno = saved;
    return;
  }
  if (LOAD(&child_pid) > 0) {
    pid_t followed = sig == SIGCONT ? followed_program() : 0;
    if (followed) continue_program(followed);
    send_to_child(sig, sender);
  } else {
    /* Dekker's pattern again, with spawn (stores child_pid, then exchanges
     * the mask in program_deliver_held): seq_cst on all four, as reap_gate.c
     * explains, or a held signal could be seen by neither side. */
    __atomic_or_fetch(&pending_mask, 1ULL << (sig - 1), __ATOMIC_SEQ_CST);
    event_t ev = signal_event(sig, sender);
    ev.err = SIGNAL_HELD;
    ring_push(&ev);
    /* The program may have been stored meanwhile: then deliver it ourselves. */
    if (__atomic_load_n(&child_pid, __ATOMIC_SEQ_CST) > 0) program_deliver_held();
  }
  wake_js();
  errno = saved;
}

/* The SIGCHLD handler. Async-signal-safe: errno saved and restored;
 * reap_gated_in_handler, follow_program_stop. */
static void on_sigchld(int sig, siginfo_t *si, void *uctx) {
  (void)sig; (void)si; (void)uctx;
  int saved = errno;
  int n = reap_gated_in_handler();
  if (n < 0) {
    /* a hold is in force (reap_gate.c): its holder reaps at release */
    errno = saved;
    return;
  }
  follow_program_stop();
  errno = saved;
}

/* ---- the lifecycle: JS thread only ------------------------------------------ */

/* What each signal did before handlers_install, for handlers_release. */
static struct sigaction saved_sa[MAX_SIG];
static int saved_ok[MAX_SIG];

/* sigaction, remembering what the signal had the first time we took it. */
static int take(int sig, const struct sigaction *sa) {
  if (sig > 0 && sig < MAX_SIG && !saved_ok[sig]) {
    if (sigaction(sig, sa, &saved_sa[sig]) < 0) return -1;
    saved_ok[sig] = 1;
    return 0;
  }
  return sigaction(sig, sa, NULL);
}

/* One handler at a time per thread (sa_mask full); SA_NOCLDSTOP unless the
 * program's stops are followed (sigaction(2)). */
static void handler_action(struct sigaction *sa, void (*fn)(int, siginfo_t *, void *), int flags) {
  memset(sa, 0, sizeof *sa);
  sigfillset(&sa->sa_mask);
  sa->sa_flags = SA_SIGINFO | SA_RESTART | flags;
  sa->sa_sigaction = fn;
}

int handlers_install(const int *forward, size_t nf, const int *ignore, size_t ni, const int *own_drop,
                     size_t no, const char **failed) {
  uint64_t mask = 0;
  for (size_t i = 0; i < no; i++) mask |= 1ULL << (own_drop[i] - 1);
  STORE(&self_pid, getpid());
  STORE(&own_drop_mask, mask);
  struct sigaction sa;
  handler_action(&sa, on_signal, 0);
  sigset_t unblock;
  sigemptyset(&unblock);
  *failed = "sigaction";
  for (size_t i = 0; i < nf; i++) {
    if (take(forward[i], &sa) < 0) return errno;
    sigaddset(&unblock, forward[i]);
  }
  handler_action(&sa, on_sigchld, SA_NOCLDSTOP);
  *failed = "sigaction(SIGCHLD)";
  if (take(SIGCHLD, &sa) < 0) return errno;
  sigaddset(&unblock, SIGCHLD);
  struct sigaction ign;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  *failed = "sigaction(SIG_IGN)";
  for (size_t i = 0; i < ni; i++)
    if (take(ignore[i], &ign) < 0) return errno;
  /* Unblock what we now handle, on this (the main) thread: Node's start-up
   * blocks SIGUSR1 on the main thread for its inspector's watchdog thread,
   * and with --disable-sigusr1 nothing ever unblocks it; every later thread
   * inherits the mask, so SIGUSR1 would stay pending forever. One that came
   * during start-up is delivered to our handler right here. */
  sigprocmask(SIG_UNBLOCK, &unblock, NULL);
  reap_gated(); /* orphans that died before the handler existed */
  *failed = NULL;
  return 0;
}

void handlers_set_policy(const int32_t map[MAX_SIG], int group, int det) {
  for (int i = 0; i < MAX_SIG; i++) STORE(&fwd_map[i], map[i]);
  STORE(&to_group, group ? 1 : 0);
  STORE(&details, det ? 1 : 0);
}

void handlers_set_reap_events(int on, int name_only) {
  /* close-on-exec: the program never sees it; without /proc the names stay
   * unknown, as with stat */
  if (on && name_only && LOAD(&proc_dir_fd) < 0) STORE(&proc_dir_fd, open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  STORE(&reap_name_only, name_only ? 1 : 0);
  STORE(&reap_events, on ? 1 : 0);
}

/* On, SIGCHLD also reports the program stopping (no SA_NOCLDSTOP), which
 * follow_program_stop acts on. Off, the handler is as handlers_install set
 * it: outside a terminal nothing changes. */
int handlers_set_job_control(int on) {
  struct sigaction sa;
  handler_action(&sa, on_sigchld, on ? 0 : SA_NOCLDSTOP);
  STORE(&job_control, on ? 1 : 0);
  return sigaction(SIGCHLD, &sa, NULL) < 0 ? errno : 0;
}

int handler_is_ours(int sig) {
  struct sigaction cur;
  if (sigaction(sig, NULL, &cur) < 0) return -errno;
  return (cur.sa_flags & SA_SIGINFO) && (cur.sa_sigaction == on_signal || cur.sa_sigaction == on_sigchld);
}

/* For the modes that run no program: Node's own dispositions back (and
 * libuv may reap its children again), then the held signals are raised, so
 * they act as if we had never caught them. All signals blocked meanwhile. */
void handlers_release(void) {
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  for (int sig = 1; sig < MAX_SIG; sig++) {
    if (!saved_ok[sig]) continue;
    sigaction(sig, &saved_sa[sig], NULL);
    saved_ok[sig] = 0;
  }
  uint64_t m = XCHG(&pending_mask, 0);
  for (int sig = 1; m && sig < MAX_SIG; sig++)
    if (m & (1ULL << (sig - 1))) raise(sig); /* delivered once unblocked below */
  sigprocmask(SIG_SETMASK, &old, NULL);
}

/* A second spawn (tests, never the init) starts with an empty slot. */
void program_spawning(void) {
  STORE(&program_status, -1);
  STORE(&program_exit_pending, 0);
}

void program_started(pid_t pid) {
  STORE(&child_alive, 1);
  __atomic_store_n(&child_pid, pid, __ATOMIC_SEQ_CST); /* the held-signal handshake: see on_signal */
}

int program_exit_take(pid_t *pid, int *status) {
  if (!XCHG(&program_exit_pending, 0)) return 0;
  *pid = LOAD(&child_pid);
  *status = LOAD(&program_status);
  return 1;
}

int program_exit_waiting(void) {
  return LOAD(&program_exit_pending);
}

void handler_counts(struct handler_counts *out) {
  out->reaped = LOAD(&reaped_total);
  out->orphans = LOAD(&orphans_total);
  out->forwarded = LOAD(&forwarded_total);
}
