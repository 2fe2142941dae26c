/*
 * handlers.c: exactly the code that runs inside a signal handler or in the
 * spawned child between clone(2) and execve(2), and nothing else.
 *
 * Both places may call only async-signal-safe functions (signal-safety(7)):
 * a handler interrupts Node anywhere, on any of its threads, possibly while
 * it holds malloc's lock; the child shares the parent's memory (CLONE_VM)
 * until it execs. So every function here is marked with the calls it makes,
 * each of which signal-safety(7) lists (or is a plain system call, or a
 * lock-free atomic), and none allocates, locks, or uses stdio. Signals reach
 * any thread, so a handler may run on several threads at once: the shared
 * state is atomics and a lock-free ring (Vyukov's bounded MPMC queue) that
 * hands events to the single JS consumer (events.c).
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
pid_t child_pid;
int child_alive;
int program_status = -1;
int program_exit_pending;
uint64_t pending_mask;
uint64_t reaped_total, forwarded_total;
pid_t self_pid;
uv_async_t wake_async;
int wake_ready;

/* ---- the ring and the wake-up -------------------------------------------- */

/* Async-signal-safe: lock-free atomics and a struct copy only. */
void ring_push(const event_t *ev) {
  size_t pos = __atomic_load_n(&ring_head, __ATOMIC_RELAXED);
  for (;;) {
    slot_t *s = &ring[pos & (RING_SIZE - 1)];
    size_t seq = LOAD(&s->seq);
    intptr_t dif = (intptr_t)seq - (intptr_t)pos;
    if (dif == 0) {
      if (__atomic_compare_exchange_n(&ring_head, &pos, pos + 1, 1, __ATOMIC_RELAXED,
                                      __ATOMIC_RELAXED)) {
        s->ev = *ev;
        STORE(&s->seq, pos + 1);
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

/* Async-signal-safe: arithmetic on caller memory only. */
void fmt_uint(char *dst, unsigned long v) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *dst++ = tmp[--n];
  *dst = 0;
}

/* ---- reaping ------------------------------------------------------------- */

/* comm and starttime of a zombie from /proc/PID/stat (proc(5)).
 * Async-signal-safe: open, read, close, strcat, strchr, strrchr, memcpy
 * (strcat and friends are listed since POSIX.1-2016). */
static void read_stat(pid_t pid, event_t *ev) {
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

/* The program's status goes to its own slot (lossless), an orphan's to the
 * ring. Async-signal-safe: atomics, memset, ring_push. */
static void record_reap(pid_t pid, int status, const event_t *peek) {
  ADD(&reaped_total, 1);
  if (pid == LOAD(&child_pid)) {
    STORE(&program_status, status);
    STORE(&child_alive, 0);
    STORE(&program_exit_pending, 1); /* after the status: drain() reads it then */
    return;
  }
  event_t ev;
  if (peek) ev = *peek; else memset(&ev, 0, sizeof ev);
  ev.type = EV_REAPED;
  ev.pid = pid;
  ev.status = status;
  ring_push(&ev);
}

/* Reap every child that is dead now: waitpid(-1, WNOHANG) until it says no
 * more, as SIGCHLD does not queue (one signal may stand for many exits).
 * Async-signal-safe: waitid, waitpid, read_stat, record_reap. */
int reap_all(void) {
  int n = 0;
  for (;;) {
    if (reap_gate_yield()) break; /* a holder came: it reaps the rest */
    int status;
    pid_t pid;
    if (LOAD(&details)) {
      /* Peek first (WNOWAIT) so the zombie's /proc entry is still there. */
      siginfo_t si;
      memset(&si, 0, sizeof si);
      /* Test errno only when waitid failed: after a success that found
       * nothing (si_pid 0) errno is stale, and a stale EINTR spun here
       * forever at 100% CPU (issue 10, item 1). */
      int rc = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0 || si.si_pid == 0) break; /* ECHILD, or none dead yet */
      event_t peek;
      memset(&peek, 0, sizeof peek);
      read_stat(si.si_pid, &peek);
      pid = waitpid(si.si_pid, &status, WNOHANG);
      if (pid <= 0) continue; /* another thread's handler took it */
      record_reap(pid, status, &peek);
    } else {
      pid = waitpid(-1, &status, WNOHANG);
      if (pid < 0 && errno == EINTR) continue;
      if (pid <= 0) break; /* 0: children alive, none dead; -1 ECHILD: none */
      record_reap(pid, status, NULL);
    }
    n++;
  }
  return n;
}

/* ---- job control (issue 13), only after setJobControl(true) --------------- */

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
 * reap_gated, wake_js, follow_program_stop. */
void on_sigchld(int sig, siginfo_t *si, void *uctx) {
  (void)sig; (void)si; (void)uctx;
  int saved = errno;
  int n = reap_gated();
  if (n < 0) {
    /* a hold is in force (reap_gate.c): its holder reaps at release */
    errno = saved;
    return;
  }
  if (n > 0) wake_js();
  follow_program_stop();
  errno = saved;
}

/* ---- the spawned child, between clone(2) and execve(2) -------------------- */

/* The child shares the parent's memory (CLONE_VM) but has its own handlers,
 * mask and descriptor table (no CLONE_SIGHAND, no CLONE_FILES), as in
 * posix_spawn. All it needs was prepared by the parent (spawn.c): the PATH
 * search's candidates, the /bin/sh argv, the environment.
 * Async-signal-safe: getpid, setpgid, tcsetpgrp, getpgrp, sigaction, fcntl,
 * sigemptyset, sigprocmask, execve, write, _exit, fmt_uint. */
int child_after_clone(void *arg) {
  struct spawn_job *job = arg;
  int step = STEP_NONE, err = 0;
  /* getpid(2) is a system call (glibc caches nothing since 2.25): this
   * child's pid, the one the program keeps after exec. */
  if (job->listen_pid_digits) fmt_uint(job->listen_pid_digits, (unsigned long)getpid());
  if (job->new_group) {
    step = STEP_SETPGID;
    if (setpgid(0, 0) < 0) goto fail;
    /* SIGTTOU is blocked here, so tcsetpgrp from a background group works
     * (tcsetpgrp(3)); done in the child so the program never runs in the
     * background (see tini's isolate_child). */
    if (job->take_tty) {
      step = STEP_TCSETPGRP;
      if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0 && errno != ENOTTY && errno != ENXIO) goto fail;
    }
  }
  /* Every disposition to default: exec keeps SIG_IGN (Node ignores SIGPIPE
   * and SIGXFSZ, TS has us ignore SIGTTIN/SIGTTOU); handlers reset anyway. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < MAX_SIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, NULL); /* EINVAL for glibc's internal 32/33: fine */
  }
  /* Node marks fds 0-15 close-on-exec at start: give the program its stdio
   * and the inherited descriptors TS chose. */
  for (long i = -3; i < (long)job->nkeep; i++) {
    int fd = i < 0 ? (int)i + 3 : job->keep[i];
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0 && (fl & FD_CLOEXEC)) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  step = STEP_EXEC;
  /* execvp(3)'s loop over the candidates the parent found (glibc
   * posix/execvpe.c): ENOEXEC runs the file under /bin/sh (a script without
   * #!, as tini's execvp does); EACCES is remembered and reported if no later
   * candidate works; ENOENT, ENOTDIR and the like try the next; any other
   * error ends the search. */
  int eacces = 0;
  err = job->search_errno;
  for (char **c = job->candidates; *c; c++) {
    execve(*c, job->argv, job->envp);
    err = errno;
    if (err == ENOEXEC) {
      job->sh_argv[1] = *c;
      execve(job->sh_argv[0], job->sh_argv, job->envp);
      err = errno;
    }
    if (err == EACCES) eacces = 1;
    else if (err != ENOENT && err != ESTALE && err != ENOTDIR && err != ENODEV && err != ETIMEDOUT) break;
  }
  if (eacces && (err == ENOENT || err == ESTALE || err == ENOTDIR || err == ENODEV || err == ETIMEDOUT)) err = EACCES;
  goto report;
fail:
  err = errno;
report:
  job->failed_errno = err;
  job->failed_step = step;
  if (job->report_fd >= 0) {
    struct spawn_report r = {step, err};
    /* 8 bytes < PIPE_BUF: written whole, or not at all (pipe(7)) */
    while (write(job->report_fd, &r, sizeof r) < 0 && errno == EINTR) {}
  }
  _exit(CHILD_EXEC_FAILED);
}
