/*
 * tini_native.c: the syscalls of tini-ts, and nothing else.
 *
 * Mechanism only. TypeScript decides which signal goes where, what an exit
 * status means, when to give up and what to log; this file carries those
 * decisions out in places JavaScript cannot reach:
 *
 *  - signal handlers that forward (kill(2)) and reap (waitpid(2)) right in the
 *    handler, so forwarding and reaping go on while the JS event loop is busy
 *    or blocked (brief: "PID 1 may not stall");
 *  - fork/exec of the program, because libuv reaps its own children with
 *    waitpid(pid) and a waitpid(-1) reaper would steal their statuses;
 *  - prctl(2) for the subreaper bit and the parent-death signal.
 *
 * Everything a handler or the forked child touches is async-signal-safe
 * (signal-safety(7)): kill, waitpid, waitid, open/read/close, write, getpid,
 * clock_gettime, sigaction, sigprocmask, setpgid, getpgrp, tcgetpgrp,
 * tcsetpgrp, fcntl, execve,
 * _exit, and lock-free atomics. Signals reach any of Node's threads, so a
 * handler may run on several threads at once; the only shared state is
 * atomics and a lock-free ring (Vyukov's bounded MPMC queue) that hands
 * events to the single JS consumer.
 *
 * sigprocmask, not pthread_sigmask: the latter pulls GLIBC_2.32 into the
 * addon, sigprocmask keeps it at 2.28 (Node 24's own floor). On Linux both act
 * on the calling thread only.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <node_api.h>
#include <uv.h>

extern char **environ;

#define MAX_SIG 65 /* signals are 1..64 on Linux */

/* ---- events handed to JS ------------------------------------------------ */

enum { EV_REAPED = 1, EV_SIGNAL = 2, EV_STOPPED = 3 };

typedef struct {
  int32_t type;
  int32_t pid;     /* EV_REAPED: reaped pid; EV_SIGNAL: target (neg = group); EV_STOPPED: the program */
  int32_t status;  /* EV_REAPED: wait status; EV_SIGNAL: signal received; EV_STOPPED: stop signal */
  int32_t extra;   /* EV_SIGNAL: signal sent (0 = dropped/held); */
  int32_t err;     /* EV_SIGNAL: errno of kill (0 = ok, -1 = held for later) */
  int32_t sender;  /* EV_SIGNAL: si_pid of the sender */
  uint64_t start;  /* EV_REAPED with details: starttime in clock ticks */
  int64_t at_ns;   /* CLOCK_MONOTONIC when it happened */
  char comm[16];   /* EV_REAPED with details: command name */
} event_t;

typedef struct {
  size_t seq; /* atomic */
  event_t ev;
} slot_t;

#define RING_SIZE 8192 /* power of two */
static slot_t ring[RING_SIZE];
static size_t ring_head; /* producers: next position to claim */
static size_t ring_tail; /* consumer (JS thread only) */
static uint64_t ring_dropped; /* events lost because the ring was full */

/* ---- policy set by JS, read by handlers --------------------------------- */

static int fwd_map[MAX_SIG];     /* signal to send for each one received; 0 = drop */
static int fwd_handled[MAX_SIG]; /* 1 = our forwarding handler is installed */
static int to_group;             /* 1 = kill(-pgid) instead of kill(pid) */
static int details;              /* 1 = read comm/starttime of reaped orphans */
static pid_t child_pid;          /* 0 until spawned */
static int child_alive;
static int child_status = -1;    /* wait status once reaped */
static uint64_t pending_mask;    /* signals that arrived before the child ran */
static uint64_t reaped_total, forwarded_total;
static int spawning;              /* 1 while spawn() has not stored child_pid */
static int reap_deferred;         /* a SIGCHLD came while spawning */
/* Job control in a terminal (issue 13), on only when TS says so: the program
 * stopping stops our job too, and SIGCONT hands the terminal back to it. */
static int job_control;
/* How the handlers wake JS: a uv_async_t on Node's loop. uv_async_send is
 * async-signal-safe (libuv docs), so a handler on any thread may call it;
 * libuv coalesces many sends into one callback. No pipe, no node:net. */
static uv_async_t wake_async;
static int wake_ready;           /* 1 once wake_async is initialised */
static napi_env wake_env;
static napi_ref wake_cb;
static napi_async_context wake_ctx;
static pid_t self_pid;

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void ring_push(const event_t *ev) {
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

static int ring_pop(event_t *out) {
  size_t pos = ring_tail;
  slot_t *s = &ring[pos & (RING_SIZE - 1)];
  size_t seq = LOAD(&s->seq);
  if ((intptr_t)seq - (intptr_t)(pos + 1) < 0) return 0; /* empty (or being written) */
  *out = s->ev;
  ring_tail = pos + 1;
  STORE(&s->seq, pos + RING_SIZE);
  return 1;
}

static void wake_js(void) {
  if (LOAD(&wake_ready)) uv_async_send(&wake_async);
}

/* ---- reaping ------------------------------------------------------------ */

static void fmt_uint(char *dst, unsigned long v) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) *dst++ = tmp[--n];
  *dst = 0;
}

/* Read comm and starttime of a zombie from /proc/PID/stat (proc(5)). Only
 * open/read/close: safe in a handler. */
static void read_stat(pid_t pid, event_t *ev) {
  char path[40] = "/proc/";
  fmt_uint(path + 6, (unsigned long)pid);
  strcat(path, "/stat"); /* strcat is async-signal-safe since POSIX.1-2016 */
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

static void record_reap(pid_t pid, int status, const event_t *peek) {
  event_t ev;
  if (peek) ev = *peek; else memset(&ev, 0, sizeof ev);
  ev.type = EV_REAPED;
  ev.pid = pid;
  ev.status = status;
  ev.at_ns = now_ns();
  ADD(&reaped_total, 1);
  if (pid == LOAD(&child_pid)) {
    STORE(&child_status, status);
    STORE(&child_alive, 0);
  }
  ring_push(&ev);
}

/* Reap every child that is dead now. waitpid(-1, WNOHANG) until it says no
 * more: SIGCHLD does not queue, so one signal may stand for many exits. */
static int reap_all(void) {
  int n = 0;
  for (;;) {
    int status;
    pid_t pid;
    if (LOAD(&details)) {
      /* Peek first (WNOWAIT) so the zombie's /proc entry is still there. */
      siginfo_t si;
      memset(&si, 0, sizeof si);
      /* Test errno only when waitid failed: after a success that found
       * nothing (si_pid 0: children alive, none dead) errno is stale, and a
       * stale EINTR spun here forever at 100% CPU (issue 10, item 1). */
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

/* ---- job control (issue 13) --------------------------------------------- */

/* The program owns the terminal, so Ctrl-Z (SIGTSTP), and SIGTTIN/SIGTTOU for
 * its background reads and writes, go to its process group, not to us: it
 * stops, and the shell, which waits for us, would never see a stopped job. So
 * when the program stops, stop our own process group as well (the job the
 * shell started), as the terminal would have stopped it without an init in
 * between (dumb-init raises SIGSTOP on itself for the same reason). The stop
 * report is consumed here (WSTOPPED without WNOWAIT); WEXITED is not asked
 * for, so nothing is reaped here. Safe in a handler: waitid, kill. */
static void follow_program_stop(void) {
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
  ev.at_ns = now_ns();
  ring_push(&ev);
  wake_js();
  /* SIGSTOP: it cannot be caught (our SIGTSTP handler would forward it). The
   * shell's waitpid(WUNTRACED) sees the job stop and takes the terminal. */
  kill(0, SIGSTOP);
}

/* SIGCONT from the shell (fg or bg): if it made our group the foreground one
 * (fg), hand the terminal on to the program's group, as at spawn; then
 * continue that whole group, which the terminal stopped as a whole. From the
 * foreground tcsetpgrp raises no SIGTTOU (tcsetpgrp(3)). */
static void continue_program(void) {
  pid_t pid = LOAD(&child_pid);
  if (!LOAD(&job_control) || pid <= 0 || !LOAD(&child_alive)) return;
  if (tcgetpgrp(STDIN_FILENO) == getpgrp()) tcsetpgrp(STDIN_FILENO, pid);
  kill(-pid, SIGCONT);
}

/* ---- forwarding --------------------------------------------------------- */

/* The event for signal sig received from sender, to be sent as the policy says. */
static event_t signal_event(int sig, pid_t sender) {
  event_t ev;
  memset(&ev, 0, sizeof ev);
  ev.type = EV_SIGNAL;
  ev.status = sig;
  ev.sender = sender;
  ev.extra = LOAD(&fwd_map[sig]);
  ev.at_ns = now_ns();
  return ev;
}

static void send_to_child(int sig, pid_t sender) {
  event_t ev = signal_event(sig, sender);
  int to = ev.extra;
  pid_t pid = LOAD(&child_pid);
  if (to == 0) {
    ev.err = 0; /* dropped by policy (--rewrite SIG:0) */
  } else if (pid <= 0) {
    ev.err = -1; /* no program yet: held (pending_mask) */
  } else if (!LOAD(&child_alive) && !LOAD(&to_group)) {
    ev.pid = pid;
    ev.err = ESRCH; /* reaped: never signal a pid that may be reused */
  } else {
    pid_t target = LOAD(&to_group) ? -pid : pid;
    ev.pid = target;
    ev.err = kill(target, to) == 0 ? 0 : errno;
    if (ev.err == 0) ADD(&forwarded_total, 1);
  }
  ring_push(&ev);
}

/* Deliver signals held while the program was being started. Whoever
 * exchanges the mask delivers it, so each held signal goes out once. */
static void flush_pending(void) {
  uint64_t m = __atomic_exchange_n(&pending_mask, 0, __ATOMIC_ACQ_REL);
  for (int sig = 1; m && sig < MAX_SIG; sig++) {
    if (m & (1ULL << (sig - 1))) {
      m &= ~(1ULL << (sig - 1));
      send_to_child(sig, 0);
    }
  }
}

static void on_signal(int sig, siginfo_t *si, void *uctx) {
  (void)uctx;
  int saved = errno;
  pid_t sender = si ? si->si_pid : 0;
  /* SIGPIPE/SIGXFSZ raised by our own writes (a log line into a closed pipe)
   * are ours, not the program's: the write fails with EPIPE/EFBIG instead. */
  if ((sig == SIGPIPE || sig == SIGXFSZ) && si && si->si_code == SI_USER && sender == self_pid) {
    errno = saved;
    return;
  }
  if (LOAD(&child_pid) > 0) {
    if (sig == SIGCONT) continue_program();
    send_to_child(sig, sender);
  } else {
    __atomic_or_fetch(&pending_mask, 1ULL << (sig - 1), __ATOMIC_ACQ_REL);
    event_t ev = signal_event(sig, sender);
    ev.err = -1; /* held until the program runs */
    ring_push(&ev);
    /* The child may have been stored meanwhile: then deliver it ourselves. */
    if (LOAD(&child_pid) > 0) flush_pending();
  }
  wake_js();
  errno = saved;
}

static void on_sigchld(int sig, siginfo_t *si, void *uctx) {
  (void)sig; (void)si; (void)uctx;
  int saved = errno;
  if (LOAD(&spawning)) {
    /* spawn() reaps when it is done; check again in case it just was. */
    STORE(&reap_deferred, 1);
    if (LOAD(&spawning)) {
      errno = saved;
      return;
    }
  }
  if (reap_all() > 0) wake_js();
  follow_program_stop();
  errno = saved;
}

/* ---- N-API helpers ------------------------------------------------------ */

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "tini-ts native: " #call " failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value num(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

static void set_num(napi_env env, napi_value obj, const char *k, double v) {
  napi_set_named_property(env, obj, k, num(env, v));
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  strncpy(msg, what, 100);
  msg[100] = 0;
  strcat(msg, ": ");
  strncat(msg, strerror(err), 50);
  napi_value m, e;
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, NULL, m, &e);
  set_num(env, e, "errno", err);
  napi_throw(env, e);
  return NULL;
}

static int32_t arg_i32(napi_env env, napi_value v) {
  int32_t r = 0;
  napi_get_value_int32(env, v, &r);
  return r;
}

/* Copy a JS array of strings into a NULL-terminated C array (heap, parent
 * side, before fork: the child only reads it). */
static char **string_array(napi_env env, napi_value arr, uint32_t extra) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1 + extra, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    size_t len = 0;
    napi_get_element(env, arr, i, &el);
    if (napi_get_value_string_utf8(env, el, NULL, 0, &len) != napi_ok) goto fail;
    out[i] = malloc(len + 1);
    if (!out[i]) goto fail;
    napi_get_value_string_utf8(env, el, out[i], len + 1, &len);
  }
  return out;
fail:
  for (uint32_t i = 0; i < n; i++) free(out[i]);
  free(out);
  return NULL;
}

static void free_array(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

/* ---- exported calls ----------------------------------------------------- */

/* setup(): reset the ring; returns facts JS needs (real-time range, clock ticks). */
static napi_value js_setup(napi_env env, napi_callback_info info) {
  (void)info;
  self_pid = getpid();
  /* Node 24 names its main thread "MainThread", which is what ps and
   * /proc/1/comm then show for PID 1; name it for what it is. */
  prctl(PR_SET_NAME, "tini-ts", 0, 0, 0);
  for (size_t i = 0; i < RING_SIZE; i++) ring[i].seq = i;
  napi_value r;
  napi_create_object(env, &r);
  set_num(env, r, "sigrtmin", SIGRTMIN);
  set_num(env, r, "sigrtmax", SIGRTMAX);
  set_num(env, r, "clockTicks", (double)sysconf(_SC_CLK_TCK));
  return r;
}

/* Runs on the loop thread after any number of uv_async_send calls. */
static void on_wake_async(uv_async_t *h) {
  (void)h;
  napi_env env = wake_env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, res;
  napi_get_reference_value(env, wake_cb, &cb);
  napi_get_global(env, &recv);
  if (napi_make_callback(env, wake_ctx, recv, cb, 0, NULL, &res) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err); /* to process 'uncaughtException' */
  }
  napi_close_handle_scope(env, scope);
}

/* onWake(fn): call fn on the loop whenever a handler recorded something. The
 * handle keeps the loop alive until stopWake(). */
static napi_value js_on_wake(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (LOAD(&wake_ready)) return NULL;
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  CHECK(napi_create_reference(env, argv[0], 1, &wake_cb));
  napi_value name;
  napi_create_string_utf8(env, "tini-ts:wake", NAPI_AUTO_LENGTH, &name);
  CHECK(napi_async_init(env, NULL, name, &wake_ctx));
  wake_env = env;
  if (uv_async_init(loop, &wake_async, on_wake_async) != 0) {
    napi_throw_error(env, NULL, "tini-ts native: uv_async_init failed");
    return NULL;
  }
  STORE(&wake_ready, 1);
  return NULL;
}

/* stopWake(): no more wake-ups; lets the loop end. */
static napi_value js_stop_wake(napi_env env, napi_callback_info info) {
  (void)env; (void)info;
  if (__atomic_exchange_n(&wake_ready, 0, __ATOMIC_ACQ_REL)) uv_close((uv_handle_t *)&wake_async, NULL);
  return NULL;
}

/* setPolicy(map: Int32Array(65), toGroup, details) */
static napi_value js_set_policy(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type t;
  size_t len;
  void *data;
  CHECK(napi_get_typedarray_info(env, argv[0], &t, &len, &data, NULL, NULL));
  if (t != napi_int32_array || len < MAX_SIG) {
    napi_throw_type_error(env, NULL, "setPolicy: map must be an Int32Array(65)");
    return NULL;
  }
  for (int i = 0; i < MAX_SIG; i++) STORE(&fwd_map[i], ((int32_t *)data)[i]);
  bool b;
  napi_get_value_bool(env, argv[1], &b);
  STORE(&to_group, b ? 1 : 0);
  napi_get_value_bool(env, argv[2], &b);
  STORE(&details, b ? 1 : 0);
  return NULL;
}

/* installHandlers(signals: number[]): forward these; reap on SIGCHLD; ignore
 * SIGTTIN/SIGTTOU (the program owns the terminal, tini does the same). The
 * kernel sends those only to the group doing the terminal I/O, which is ours
 * only for our own log writes and tcsetpgrp calls: caught, a tcsetpgrp from
 * the background would be restarted forever. When they stop the program, its
 * stop is what job control follows (follow_program_stop). */
static napi_value js_install(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t n = 0;
  CHECK(napi_get_array_length(env, argv[0], &n));
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask); /* one handler at a time per thread */
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sa.sa_sigaction = on_signal;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, argv[0], i, &el);
    int sig = arg_i32(env, el);
    if (sig <= 0 || sig >= MAX_SIG) continue;
    if (sigaction(sig, &sa, NULL) < 0) return throw_errno(env, "sigaction", errno);
    STORE(&fwd_handled[sig], 1);
  }
  sa.sa_sigaction = on_sigchld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &sa, NULL) < 0) return throw_errno(env, "sigaction(SIGCHLD)", errno);
  struct sigaction ign;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  sigaction(SIGTTIN, &ign, NULL);
  sigaction(SIGTTOU, &ign, NULL);
  /* Orphans that died before the handler existed. */
  if (reap_all() > 0) wake_js();
  return NULL;
}

/* setJobControl(on): TS decided we run as a job of an interactive shell
 * (issue 13). SIGCHLD then also reports the program stopping (no
 * SA_NOCLDSTOP, sigaction(2)), which follow_program_stop() acts on. Off, the
 * handler is as installHandlers() set it: outside a terminal nothing changes. */
static napi_value js_set_job_control(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  bool on = false;
  napi_get_value_bool(env, argv[0], &on);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask);
  sa.sa_sigaction = on_sigchld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | (on ? 0 : SA_NOCLDSTOP);
  STORE(&job_control, on ? 1 : 0);
  if (sigaction(SIGCHLD, &sa, NULL) < 0) return throw_errno(env, "sigaction(SIGCHLD)", errno);
  return NULL;
}

/* Is the handler for sig still ours? (Node replaces it when JS listens.) */
static napi_value js_handler_is_ours(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int sig = arg_i32(env, argv[0]);
  struct sigaction cur;
  napi_value r;
  if (sigaction(sig, NULL, &cur) < 0) return throw_errno(env, "sigaction", errno);
  bool ours = (cur.sa_flags & SA_SIGINFO) &&
              (cur.sa_sigaction == on_signal || cur.sa_sigaction == on_sigchld);
  napi_get_boolean(env, ours, &r);
  return r;
}

/* In the child between fork and exec: async-signal-safe calls only. */
#define MAX_KEEP 64

/* What the parent hands the child, and the child hands back on failure. With
 * CLONE_VM the child writes straight into the parent's memory; the parent
 * reads it once clone() returns (CLONE_VFORK: after the exec or the _exit). */
struct spawn_job {
  char **argv;
  char **envp;
  int new_group, take_tty;
  const int *keep;
  int nkeep;
  int failed_step; /* 0 = exec succeeded */
  int failed_errno;
  char *listen_pid_digits; /* where the child writes its pid, or NULL */
};

#define LISTEN_PID_EQ "LISTEN_PID="
#define LISTEN_PID_LEN (sizeof LISTEN_PID_EQ - 1)

/* Socket activation (sd_listen_fds(3), issue 13): the manager sets LISTEN_PID
 * to the pid it started, which is the init, and libsystemd in the program
 * ignores the fds unless LISTEN_PID is its own pid. So when the first
 * LISTEN_PID (the one getenv finds) names us, the program gets a copy of envp
 * with that entry in a buffer of ours, whose digits the child fills in with
 * its own pid (catatonit does the same with setenv after fork; a CLONE_VM
 * child may not allocate). Anything else: NULL, and envp passes as it is.
 * *slot gets the digits' address in the copy's buffer; free(copy[k]) and
 * free(copy) with free_listen_pid_env. */
static char **listen_pid_env(char **envp, char **slot) {
  size_t n = 0, at = (size_t)-1;
  for (; envp[n]; n++) {
    if (at == (size_t)-1 && strncmp(envp[n], LISTEN_PID_EQ, LISTEN_PID_LEN) == 0) at = n;
  }
  if (at == (size_t)-1) return NULL;
  const char *v = envp[at] + LISTEN_PID_LEN;
  unsigned long long val = 0;
  if (!*v) return NULL;
  for (; *v; v++) {
    if (*v < '0' || *v > '9' || val > 1000000000ULL) return NULL;
    val = val * 10 + (unsigned)(*v - '0');
  }
  if (val != (unsigned long long)getpid()) return NULL;
  char **copy = malloc((n + 1) * sizeof(char *));
  char *buf = malloc(LISTEN_PID_LEN + 24);
  if (!copy || !buf) {
    free(copy);
    free(buf);
    return NULL;
  }
  memcpy(copy, envp, (n + 1) * sizeof(char *));
  memcpy(buf, LISTEN_PID_EQ, LISTEN_PID_LEN);
  buf[LISTEN_PID_LEN] = 0;
  copy[at] = buf;
  *slot = buf + LISTEN_PID_LEN;
  return copy;
}

static void free_listen_pid_env(char **copy, char *slot) {
  if (!copy) return;
  free(slot - LISTEN_PID_LEN);
  free(copy);
}

/* The child, between clone and exec: async-signal-safe calls only. It shares
 * the parent's memory (CLONE_VM) but has its own signal handlers, mask and
 * descriptor table (no CLONE_SIGHAND, no CLONE_FILES), as in posix_spawn. */
static int child_after_clone(void *arg) {
  struct spawn_job *job = arg;
  int step = 0;
  /* getpid(2) is a system call (glibc caches nothing since 2.25), so it is
   * this child's pid, the one the program will have after exec. */
  if (job->listen_pid_digits) fmt_uint(job->listen_pid_digits, (unsigned long)getpid());
  if (job->new_group) {
    step = 1;
    if (setpgid(0, 0) < 0) goto fail;
    /* SIGTTOU is blocked here, so tcsetpgrp from a background group works
     * (tcsetpgrp(3)); done in the child so the program never runs in the
     * background (see tini's isolate_child). */
    if (job->take_tty) {
      step = 2;
      if (tcsetpgrp(STDIN_FILENO, getpgrp()) < 0 && errno != ENOTTY && errno != ENXIO) goto fail;
    }
  }
  /* Every disposition to default: exec keeps SIG_IGN (Node ignores SIGPIPE
   * and SIGXFSZ, we ignore SIGTTIN/SIGTTOU), handlers reset anyway. */
  struct sigaction dfl;
  memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < MAX_SIG; sig++) {
    if (sig == SIGKILL || sig == SIGSTOP) continue;
    sigaction(sig, &dfl, NULL); /* EINVAL for glibc's internal 32/33: fine */
  }
  /* Node marks fds 0-15 close-on-exec at start: give the program its stdio
   * and the inherited descriptors TS chose. */
  for (int i = -3; i < job->nkeep; i++) {
    int fd = i < 0 ? i + 3 : job->keep[i];
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0 && (fl & FD_CLOEXEC)) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, NULL);
  step = 3;
  /* execvpe searches PATH like execvp (and runs a script without #! via
   * /bin/sh, as tini does with execvp), with the environment we were given. */
  execvpe(job->argv[0], job->argv, job->envp);
fail:;
  int err = errno;
  job->failed_errno = err;
  job->failed_step = step;
  _exit(step == 3 && (err == ENOENT || err == ENOTDIR) ? 127 : 126);
}

/* spawn(argv: string[], env: string[] | null, newGroup: bool, takeTty: bool,
 *       keepFds?: number[], listenPid?: bool): keepFds lose close-on-exec in
 *       the child; listenPid: a LISTEN_PID naming us names the program
 *   -> { pid } on success, { pid, step, errno } when exec failed. */
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value args[6];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  int keep[MAX_KEEP];
  int nkeep = 0;
  bool is_arr = false;
  if (argc >= 5 && napi_is_array(env, args[4], &is_arr) == napi_ok && is_arr) {
    uint32_t n = 0;
    napi_get_array_length(env, args[4], &n);
    for (uint32_t i = 0; i < n && nkeep < MAX_KEEP; i++) {
      napi_value el;
      napi_get_element(env, args[4], i, &el);
      keep[nkeep++] = arg_i32(env, el);
    }
  }
  char **argv = string_array(env, args[0], 0);
  /* env null: pass environ itself, exactly as the init was given it. */
  napi_valuetype et;
  napi_typeof(env, args[1], &et);
  int own_env = et != napi_null && et != napi_undefined;
  char **envp = own_env ? string_array(env, args[1], 0) : environ;
  bool new_group = false, take_tty = false;
  napi_get_value_bool(env, args[2], &new_group);
  napi_get_value_bool(env, args[3], &take_tty);
  if (!argv || !argv[0] || !envp) {
    free_array(argv);
    if (own_env) free_array(envp);
    napi_throw_type_error(env, NULL, "spawn: argv must be a non-empty array of strings");
    return NULL;
  }
  /* The child's stack: execvpe needs room for the PATH search and for the
   * argv copy of its /bin/sh fallback. */
  size_t nargs = 0;
  while (argv[nargs]) nargs++;
  size_t stack_size = (256 * 1024 + nargs * 2 * sizeof(char *) + 4095) & ~(size_t)4095;
  void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    int err = errno;
    free_array(argv);
    if (own_env) free_array(envp);
    return throw_errno(env, "mmap", err);
  }
  bool listen_pid = false;
  if (argc >= 6) napi_get_value_bool(env, args[5], &listen_pid);
  char *lp_slot = NULL;
  char **lp_env = listen_pid ? listen_pid_env(envp, &lp_slot) : NULL;
  struct spawn_job job = {argv, lp_env ? lp_env : envp, new_group, take_tty, keep, nkeep, 0, 0, lp_slot};
  /* Block everything on this thread: the child starts with all signals
   * blocked, so none runs a handler in the child before its own reset. */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  /* A program that exits at once could be reaped by a SIGCHLD handler on
   * another thread before child_pid names it, and its status would never
   * reach child_status: reaping waits while we spawn (on_sigchld). */
  STORE(&spawning, 1);
  /* CLONE_VM|CLONE_VFORK, as posix_spawn does: no copy of Node's page tables
   * (fork of a ~45 MB process costs more than the rest of the spawn), and
   * this thread sleeps until the exec (or the child's _exit). */
  pid_t pid = clone(child_after_clone, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, &job);
  int clone_err = errno;
  if (pid > 0) {
    STORE(&child_alive, 1);
    STORE(&child_pid, pid);
  }
  STORE(&spawning, 0);
  if (__atomic_exchange_n(&reap_deferred, 0, __ATOMIC_ACQ_REL)) {
    if (reap_all() > 0) wake_js();
    follow_program_stop();
  }
  if (pid > 0) flush_pending(); /* signals that arrived while starting go out now */
  sigprocmask(SIG_SETMASK, &old, NULL);
  munmap(stack, stack_size);
  free_array(argv);
  free_listen_pid_env(lp_env, lp_slot);
  if (own_env) free_array(envp);
  if (pid < 0) return throw_errno(env, "clone", clone_err);
  napi_value r;
  napi_create_object(env, &r);
  set_num(env, r, "pid", pid);
  if (job.failed_step) {
    set_num(env, r, "step", job.failed_step);
    set_num(env, r, "errno", job.failed_errno);
    napi_value m;
    napi_create_string_utf8(env, strerror(job.failed_errno), NAPI_AUTO_LENGTH, &m);
    napi_set_named_property(env, r, "message", m);
  }
  return r;
}

/* drain(): every event recorded since the last call, oldest first. */
static napi_value js_drain(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_array(env, &out));
  event_t ev;
  uint32_t i = 0;
  while (ring_pop(&ev)) {
    napi_value o;
    napi_create_object(env, &o);
    set_num(env, o, "type", ev.type);
    set_num(env, o, "pid", ev.pid);
    set_num(env, o, "status", ev.status);
    set_num(env, o, "extra", ev.extra);
    set_num(env, o, "err", ev.err);
    set_num(env, o, "sender", ev.sender);
    set_num(env, o, "start", (double)ev.start);
    set_num(env, o, "atNs", (double)ev.at_ns);
    napi_value s;
    napi_create_string_utf8(env, ev.comm, strnlen(ev.comm, 16), &s);
    napi_set_named_property(env, o, "comm", s);
    napi_set_element(env, out, i++, o);
  }
  return out;
}

/* reapNow(): reap from JS (after the program exited: "reap what is already
 * dead"); the count reaped by this call. */
static napi_value js_reap_now(napi_env env, napi_callback_info info) {
  (void)info;
  /* Block SIGCHLD on this thread so its handler does not interleave here. */
  sigset_t s, old;
  sigemptyset(&s);
  sigaddset(&s, SIGCHLD);
  sigprocmask(SIG_BLOCK, &s, &old);
  int n = reap_all();
  sigprocmask(SIG_SETMASK, &old, NULL);
  return num(env, n);
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_object(env, &r);
  set_num(env, r, "reaped", (double)LOAD(&reaped_total));
  set_num(env, r, "forwarded", (double)LOAD(&forwarded_total));
  set_num(env, r, "dropped", (double)LOAD(&ring_dropped));
  set_num(env, r, "childPid", LOAD(&child_pid));
  set_num(env, r, "childStatus", LOAD(&child_status));
  return r;
}

/* kill(pid, sig) -> 0 or errno */
static napi_value js_kill(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int r = kill(arg_i32(env, argv[0]), arg_i32(env, argv[1]));
  return num(env, r == 0 ? 0 : errno);
}

/* prctl(2) wrappers. */
static napi_value js_set_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return throw_errno(env, "prctl(PR_SET_CHILD_SUBREAPER)", errno);
  return NULL;
}

static napi_value js_is_subreaper(napi_env env, napi_callback_info info) {
  (void)info;
  int bit = 0;
  napi_value r;
  if (prctl(PR_GET_CHILD_SUBREAPER, &bit, 0, 0, 0) < 0) bit = 0;
  napi_get_boolean(env, bit == 1, &r);
  return r;
}

static napi_value js_set_pdeathsig(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (prctl(PR_SET_PDEATHSIG, arg_i32(env, argv[0]), 0, 0, 0) < 0)
    return throw_errno(env, "prctl(PR_SET_PDEATHSIG)", errno);
  return NULL;
}

/* Terminal facts for the tty hand-off decision (made in TS). */
static napi_value js_tty_info(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_object(env, &r);
  set_num(env, r, "isatty", isatty(STDIN_FILENO));
  set_num(env, r, "foreground", tcgetpgrp(STDIN_FILENO));
  set_num(env, r, "pgrp", getpgrp());
  set_num(env, r, "pid", getpid());
  set_num(env, r, "sid", getsid(0));
  set_num(env, r, "parentSid", getsid(getppid()));
  return r;
}

/* giveTerminal(pgrp): make pgrp the terminal's foreground group again (the
 * init hands it back after the program ends; SIGTTOU is ignored, so this
 * works from the background, tcsetpgrp(3)). 0 or errno. */
static napi_value js_give_terminal(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int r = tcsetpgrp(STDIN_FILENO, arg_i32(env, argv[0]));
  return num(env, r == 0 ? 0 : errno);
}

/* exitNow(code): _exit(2), for when process.exit() would hang: Node's exit
 * joins the libuv thread pool, and a pool thread blocked in write(2) on a
 * stderr pipe nobody reads never returns. PID 1 must still exit. */
static napi_value js_exit_now(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  _exit(arg_i32(env, argv[0]) & 0xff);
  return NULL;
}

/* fdTable(): [fd, link target, close-on-exec] for every open descriptor, in
 * one call (readdir + readlinkat + fcntl: ~10x cheaper than from JS through
 * /proc/self/fdinfo). Which of them to pass on is decided in TS. */
static napi_value js_fd_table(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_array(env, &out));
  DIR *d = opendir("/proc/self/fd");
  if (!d) return throw_errno(env, "opendir(/proc/self/fd)", errno);
  int dfd = dirfd(d);
  uint32_t i = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    int fd = atoi(e->d_name);
    if (fd == dfd) continue;
    char target[512];
    ssize_t n = readlinkat(dfd, e->d_name, target, sizeof target - 1);
    if (n < 0) continue;
    target[n] = 0;
    int fl = fcntl(fd, F_GETFD);
    napi_value row, t, c;
    napi_create_array_with_length(env, 3, &row);
    napi_set_element(env, row, 0, num(env, fd));
    napi_create_string_utf8(env, target, (size_t)n, &t);
    napi_set_element(env, row, 1, t);
    napi_get_boolean(env, fl >= 0 && (fl & FD_CLOEXEC), &c);
    napi_set_element(env, row, 2, c);
    napi_set_element(env, out, i++, row);
  }
  closedir(d);
  return out;
}

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      FN("setup", js_setup),
      FN("setPolicy", js_set_policy),
      FN("installHandlers", js_install),
      FN("handlerIsOurs", js_handler_is_ours),
      FN("setJobControl", js_set_job_control),
      FN("spawn", js_spawn),
      FN("drain", js_drain),
      FN("reapNow", js_reap_now),
      FN("stats", js_stats),
      FN("kill", js_kill),
      FN("setSubreaper", js_set_subreaper),
      FN("isSubreaper", js_is_subreaper),
      FN("setParentDeathSignal", js_set_pdeathsig),
      FN("ttyInfo", js_tty_info),
      FN("giveTerminal", js_give_terminal),
      FN("exitNow", js_exit_now),
      FN("onWake", js_on_wake),
      FN("fdTable", js_fd_table),
      FN("stopWake", js_stop_wake),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
