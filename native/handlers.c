/*
 * handlers.c: exactly the code that runs inside a signal handler, and
 * nothing else.
 *
 * It may call only async-signal-safe functions (signal-safety(7)): a handler
 * interrupts Node anywhere, on any of its threads, possibly while it holds
 * malloc's lock. So every function here is marked with the calls it makes,
 * each of which signal-safety(7) lists (or is a plain system call, or a
 * lock-free atomic), and none allocates, locks, or uses stdio. Signals reach
 * any thread, so a handler may run on several threads at once: the shared
 * state is atomics and a lock-free ring (Vyukov's bounded MPMC queue) that
 * hands events to the single JS consumer (events.c).
 *
 * The spawned child's code, held to the same rules, is in child.c.
 *
 * The rules these handlers apply, and why each lives here rather than in
 * TypeScript, are listed in README.md ("How it works").
 */
#include "handlers.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "reap_gate.h"

slot_t ring[RING_SIZE];
size_t ring_head;
uint64_t ring_dropped;
int fwd_map[MAX_SIG];
uint64_t own_drop_mask;
int to_group;
int details;
int job_control;
int reap_events = 1;
int reap_name_only;
int proc_dir_fd = -1;
pid_t child_pid;
int child_alive;
int program_status = -1;
int program_exit_pending;
uint64_t pending_mask;
uint64_t reaped_total, forwarded_total;
uint64_t orphans_total;
pid_t self_pid;
uv_async_t wake_async;
int wake_ready;
int wake_gate;

/* ---- the ring and the wake-up -------------------------------------------- */

/* Async-signal-safe: lock-free atomics and a struct copy only. */
void ring_push(const event_t *ev) {
  size_t pos = __atomic_load_n(&ring_head, __ATOMIC_RELAXED);
  for (;;) {
    slot_t *s = &ring[pos & (RING_SIZE - 1)];
    size_t seq = SLOT_SEQ(s, pos & (RING_SIZE - 1));
    intptr_t dif = (intptr_t)seq - (intptr_t)pos;
    if (dif == 0) {
      if (__atomic_compare_exchange_n(&ring_head, &pos, pos + 1, 1, __ATOMIC_RELAXED,
                                      __ATOMIC_RELAXED)) {
        s->ev = *ev;
        SET_SLOT_SEQ(s, pos & (RING_SIZE - 1), pos + 1);
        return;
      }
    } else if (dif < 0) {
      ADD(&ring_dropped, 1); /* full: the event is lost, the work was done */
      return;
    } else {
      pos = __atomic_load_n(&ring_head, __ATOMIC_RELAXED);
    }
  }
}

/* Async-signal-safe: uv_async_send is documented as safe to call from a
 * signal handler (libuv, uv_async_t); libuv folds many sends into one call
 * of the callback on the loop thread. */
void wake_js(void) {
  if (LOAD(&wake_ready)) uv_async_send(&wake_async);
}

/* For what may wait a few ms (orphan reaps to log): the first of a batch
 * wakes JS, the rest of the window joins it (binding.c opens the gate
 * again). The reaps themselves are never delayed: they are done already.
 * Async-signal-safe: atomics, wake_js. */
void wake_js_lazy(void) {
  if (LOAD(&wake_ready) && XCHG(&wake_gate, 1) == 0) uv_async_send(&wake_async);
}

/* Async-signal-safe: arithmetic on caller memory only. */
void fmt_uint(char *dst, unsigned long v) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *dst++ = tmp[--n];
  *dst = 0;
}

/* ---- reaping ------------------------------------------------------------- */

/* Only the name, from /proc/PID/comm: text lines need no age, and the
 * kernel makes the one-line comm file for much less than the 52 fields of
 * stat (in an orphan storm with -w, this read is most of the cost per
 * orphan). Relative to a descriptor of /proc opened beforehand, which
 * spares the walk from /. Async-signal-safe: openat, read, close, strcat. */
static void read_comm(pid_t pid, event_t *ev) {
  char path[32];
  fmt_uint(path, (unsigned long)pid);
  strcat(path, "/comm");
  int fd = openat(LOAD(&proc_dir_fd), path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, ev->comm, sizeof ev->comm - 1);
  close(fd);
  if (n <= 0) return;
  if (ev->comm[n - 1] == '\n') n--; /* the file is the name and a newline */
  ev->comm[n] = 0;
}

/* comm and starttime of a zombie from /proc/PID/stat (proc(5)).
 * Async-signal-safe: open, read, close, strcat, strchr, strrchr, memcpy
 * (strcat and friends are listed since POSIX.1-2016). */
static void read_stat(pid_t pid, event_t *ev) {
  if (LOAD(&reap_name_only) && LOAD(&proc_dir_fd) >= 0) {
    read_comm(pid, ev);
    return;
  }
  char path[40] = "/proc/";
  fmt_uint(path + 6, (unsigned long)pid);
  strcat(path, "/stat");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return;
  buf[n] = 0;
  char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
  if (!lp || !rp || rp < lp) return;
  size_t len = (size_t)(rp - lp - 1);
  if (len > 15) len = 15;
  memcpy(ev->comm, lp + 1, len);
  ev->comm[len] = 0;
  /* field 22 is starttime; field 3 (state) follows ") " */
  char *p = rp + 2;
  int field = 3;
  while (*p && field < 22) {
    if (*p == ' ') field++;
    p++;
  }
  uint64_t v = 0;
  while (*p >= '0' && *p <= '9') v = v * 10 + (uint64_t)(*p++ - '0');
  ev->start = v;
}

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
 * are read only when JS will log them.
 * Async-signal-safe: waitid, waitpid, read_stat, record_reap. */
int reap_all(int *wake) {
  int n = 0;
  for (;;) {
    if (reap_gate_yield()) break; /* a holder came: it reaps the rest */
    int status;
    pid_t pid;
    if (LOAD(&details) && LOAD(&reap_events)) {
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
      read_stat(si.si_pid, &peek);
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

/* The program owns the terminal, so Ctrl-Z (and SIGTTIN/SIGTTOU for its
 * background I/O) stops its group, not ours, and the shell waiting for us
 * would never see a stopped job. So when the program stops, stop our own
 * group too, as the terminal would have without an init in between
 * (dumb-init raises SIGSTOP on itself likewise). The stop report is consumed
 * here (WSTOPPED, no WNOWAIT); WEXITED is not asked, nothing is reaped.
 * Async-signal-safe: waitid, kill, tcgetpgrp, getpgrp, tcsetpgrp, memset,
 * ring_push, wake_js. */
void follow_program_stop(void) {
  pid_t pid = LOAD(&child_pid);
  if (!LOAD(&job_control) || pid <= 0 || !LOAD(&child_alive)) return;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid(P_PID, (id_t)pid, &si, WSTOPPED | WNOHANG) < 0 || si.si_pid != pid) return;
  if (si.si_code != CLD_STOPPED) return;
  event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = EV_STOPPED;
  ev.pid = pid;
  ev.status = si.si_status;
  ring_push(&ev);
  wake_js();
  /* Stopped by a background read/write while our group is the foreground
   * one: `fg` of a running job (started with `&`) moves the terminal to our
   * group without a SIGCONT. Hand it on to the program and let it go on. */
  if ((si.si_status == SIGTTIN || si.si_status == SIGTTOU) && tcgetpgrp(STDIN_FILENO) == getpgrp()) {
    tcsetpgrp(STDIN_FILENO, pid);
    kill(-pid, SIGCONT);
    return;
  }
  /* SIGSTOP: it cannot be caught (our SIGTSTP handler would forward it). The
   * shell's waitpid(WUNTRACED) sees the job stop and takes the terminal. */
  kill(0, SIGSTOP);
}

/* SIGCONT from the shell (fg or bg): if it made our group the foreground one
 * (fg), hand the terminal on to the program's group, as at spawn; then
 * continue that whole group. From the foreground tcsetpgrp raises no SIGTTOU
 * (tcsetpgrp(3)). Async-signal-safe: tcgetpgrp, getpgrp, tcsetpgrp,
 * kill_own_child. */
static void continue_program(void) {
  pid_t pid = LOAD(&child_pid);
  if (!LOAD(&job_control) || pid <= 0 || !LOAD(&child_alive)) return;
  if (tcgetpgrp(STDIN_FILENO) == getpgrp()) tcsetpgrp(STDIN_FILENO, pid);
  kill_own_child(pid, SIGCONT, 1); /* not once reaped: see send_to_child */
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

/* Deliver the signals held while the program was being started. Whoever
 * exchanges the mask delivers it, so each held signal goes out once.
 * Async-signal-safe: atomics, send_to_child. */
void flush_pending(void) {
  uint64_t m = __atomic_exchange_n(&pending_mask, 0, __ATOMIC_SEQ_CST); /* see on_signal */
  for (int sig = 1; m && sig < MAX_SIG; sig++) {
    if (m & (1ULL << (sig - 1))) {
      m &= ~(1ULL << (sig - 1));
      send_to_child(sig, 0);
    }
  }
}

/* The handler of every forwarded signal. Async-signal-safe: errno saved and
 * restored; continue_program, send_to_child, ring_push, flush_pending,
 * wake_js. */
void on_signal(int sig, siginfo_t *si, void *uctx) {
  (void)uctx;
  int saved = errno;
  pid_t sender = si ? si->si_pid : 0;
  /* A signal the kernel raised on us for our own act (SIGPIPE/SIGXFSZ after a
   * log write: si_code SI_USER, si_pid ours) is ours, not the program's; TS
   * names these signals (installHandlers' ownDrop). The write fails with
   * EPIPE/EFBIG instead. */
  if (si && si->si_code == SI_USER && sender == self_pid && (LOAD(&own_drop_mask) & (1ULL << (sig - 1)))) {
    errno = saved;
    return;
  }
  if (LOAD(&child_pid) > 0) {
    if (sig == SIGCONT) continue_program();
    send_to_child(sig, sender);
  } else {
    /* Dekker's pattern again, with spawn (stores child_pid, then exchanges
     * the mask in flush_pending): seq_cst on all four, as reap_gate.c
     * explains, or a held signal could be seen by neither side. */
    __atomic_or_fetch(&pending_mask, 1ULL << (sig - 1), __ATOMIC_SEQ_CST);
    event_t ev = signal_event(sig, sender);
    ev.err = SIGNAL_HELD;
    ring_push(&ev);
    /* The program may have been stored meanwhile: then deliver it ourselves. */
    if (__atomic_load_n(&child_pid, __ATOMIC_SEQ_CST) > 0) flush_pending();
  }
  wake_js();
  errno = saved;
}

/* The SIGCHLD handler. Async-signal-safe: errno saved and restored;
 * reap_gated_in_handler, follow_program_stop. */
void on_sigchld(int sig, siginfo_t *si, void *uctx) {
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
