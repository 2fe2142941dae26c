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
#include <stdio.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/syscall.h>
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

/* Argument checks (issue 10): a bad argument must never become a valid one.
 * napi_get_value_int32 leaves 0 for undefined, and kill(0, sig) signals the
 * init's own process group. Every exported call checks its arguments and
 * throws a TypeError naming the call and what it wanted. */
static napi_value type_error(napi_env env, const char *usage, const char *what) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s: %s", usage, what);
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

/* An integer Number in [lo, hi], else a TypeError (returns 0). */
static int arg_int(napi_env env, size_t argc, napi_value *argv, size_t i, int64_t lo, int64_t hi,
                   const char *usage, const char *name, int64_t *out) {
  char what[160];
  napi_valuetype t = napi_undefined;
  if (i < argc) napi_typeof(env, argv[i], &t);
  double d = 0;
  if (t != napi_number || napi_get_value_double(env, argv[i], &d) != napi_ok || d != d ||
      d != (double)(int64_t)d || d < (double)lo || d > (double)hi) {
    snprintf(what, sizeof what, "%s must be an integer from %lld to %lld", name, (long long)lo, (long long)hi);
    type_error(env, usage, what);
    return 0;
  }
  *out = (int64_t)d;
  return 1;
}

static int arg_bool(napi_env env, size_t argc, napi_value *argv, size_t i, const char *usage,
                    const char *name, bool *out) {
  napi_valuetype t = napi_undefined;
  if (i < argc) napi_typeof(env, argv[i], &t);
  if (t != napi_boolean) {
    char what[120];
    snprintf(what, sizeof what, "%s must be a boolean", name);
    type_error(env, usage, what);
    return 0;
  }
  napi_get_value_bool(env, argv[i], out);
  return 1;
}

static int arg_array(napi_env env, size_t argc, napi_value *argv, size_t i, const char *usage,
                     const char *name, uint32_t *len) {
  bool is = false;
  if (i < argc) napi_is_array(env, argv[i], &is);
  if (!is) {
    char what[120];
    snprintf(what, sizeof what, "%s must be an array", name);
    type_error(env, usage, what);
    return 0;
  }
  napi_get_array_length(env, argv[i], len);
  return 1;
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
    if (strlen(out[i]) != len) goto fail; /* a NUL inside would cut it short */
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
  /* Once: the handlers are installed right after the first call (src/
   * early-signals.ts) and may already have pushed events to keep. */
  static int ring_ready;
  if (!ring_ready) {
    for (size_t i = 0; i < RING_SIZE; i++) ring[i].seq = i;
    ring_ready = 1;
  }
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
  napi_valuetype ft = napi_undefined;
  if (argc >= 1) napi_typeof(env, argv[0], &ft);
  if (ft != napi_function) return type_error(env, "onWake(fn)", "fn must be a function");
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
  const char *usage = "setPolicy(map: Int32Array(65), toGroup: boolean, details: boolean)";
  napi_typedarray_type t;
  size_t len = 0;
  void *data = NULL;
  bool ta = false;
  if (argc >= 1) napi_is_typedarray(env, argv[0], &ta);
  if (!ta || napi_get_typedarray_info(env, argv[0], &t, &len, &data, NULL, NULL) != napi_ok ||
      t != napi_int32_array || len != MAX_SIG)
    return type_error(env, usage, "map must be an Int32Array of length 65");
  for (int i = 0; i < MAX_SIG; i++) {
    int32_t v = ((int32_t *)data)[i];
    if (v < 0 || v >= MAX_SIG) return type_error(env, usage, "map entries must be signal numbers 0..64");
  }
  bool group, det;
  if (!arg_bool(env, argc, argv, 1, usage, "toGroup", &group)) return NULL;
  if (!arg_bool(env, argc, argv, 2, usage, "details", &det)) return NULL;
  for (int i = 0; i < MAX_SIG; i++) STORE(&fwd_map[i], ((int32_t *)data)[i]);
  STORE(&to_group, group ? 1 : 0);
  STORE(&details, det ? 1 : 0);
  return NULL;
}

/* What each signal did before installHandlers, for releaseSignals(). */
static struct sigaction saved_sa[MAX_SIG];
static int saved_ok[MAX_SIG];

static int install(int sig, const struct sigaction *sa) {
  if (sig > 0 && sig < MAX_SIG && !saved_ok[sig]) {
    if (sigaction(sig, sa, &saved_sa[sig]) < 0) return -1;
    saved_ok[sig] = 1;
    return 0;
  }
  return sigaction(sig, sa, NULL);
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
  const char *usage = "installHandlers(signals: number[])";
  uint32_t n = 0;
  if (!arg_array(env, argc, argv, 0, usage, "signals", &n)) return NULL;
  int sigs[MAX_SIG * 2];
  if (n > MAX_SIG * 2) return type_error(env, usage, "too many signals");
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    int64_t v;
    napi_get_element(env, argv[0], i, &el);
    if (!arg_int(env, 1, &el, 0, 1, MAX_SIG - 1, usage, "every signal", &v)) return NULL;
    if (v == SIGKILL || v == SIGSTOP || v == SIGCHLD)
      return type_error(env, usage, "SIGKILL, SIGSTOP and SIGCHLD cannot be forwarded");
    sigs[i] = (int)v;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sigfillset(&sa.sa_mask); /* one handler at a time per thread */
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sa.sa_sigaction = on_signal;
  for (uint32_t i = 0; i < n; i++) {
    int sig = sigs[i];
    if (install(sig, &sa) < 0) return throw_errno(env, "sigaction", errno);
    STORE(&fwd_handled[sig], 1);
  }
  sa.sa_sigaction = on_sigchld;
  sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
  if (install(SIGCHLD, &sa) < 0) return throw_errno(env, "sigaction(SIGCHLD)", errno);
  struct sigaction ign;
  memset(&ign, 0, sizeof ign);
  ign.sa_handler = SIG_IGN;
  install(SIGTTIN, &ign);
  install(SIGTTOU, &ign);
  /* Unblock what we now handle, on this (the main) thread: Node's start-up
   * blocks SIGUSR1 on the main thread for its inspector's watchdog thread,
   * and with --disable-sigusr1 nothing ever unblocks it; every later thread
   * inherits the mask, so SIGUSR1 would stay pending forever. One that came
   * during start-up is delivered to our handler right here. */
  sigset_t unblock;
  sigemptyset(&unblock);
  for (int sig = 1; sig < MAX_SIG; sig++)
    if (LOAD(&fwd_handled[sig])) sigaddset(&unblock, sig);
  sigaddset(&unblock, SIGCHLD);
  sigprocmask(SIG_UNBLOCK, &unblock, NULL);
  /* Orphans that died before the handler existed. */
  if (reap_all() > 0) wake_js();
  return NULL;
}

/* releaseSignals(): for the modes that run no program (--help, --zombies,
 * --demo): every disposition back to what it was before installHandlers
 * (Node's own, and libuv may reap its children again), then the signals held
 * meanwhile are raised, so they act as if we had never caught them. */
static napi_value js_release_signals(napi_env env, napi_callback_info info) {
  (void)env; (void)info;
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  for (int sig = 1; sig < MAX_SIG; sig++) {
    if (!saved_ok[sig]) continue;
    sigaction(sig, &saved_sa[sig], NULL);
    saved_ok[sig] = 0;
    STORE(&fwd_handled[sig], 0);
  }
  uint64_t m = __atomic_exchange_n(&pending_mask, 0, __ATOMIC_ACQ_REL);
  for (int sig = 1; m && sig < MAX_SIG; sig++)
    if (m & (1ULL << (sig - 1))) raise(sig); /* delivered once unblocked below */
  sigprocmask(SIG_SETMASK, &old, NULL);
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
  int64_t sig;
  if (!arg_int(env, argc, argv, 0, 1, MAX_SIG - 1, "handlerIsOurs(signal: number)", "signal", &sig)) return NULL;
  struct sigaction cur;
  napi_value r;
  if (sigaction((int)sig, NULL, &cur) < 0) return throw_errno(env, "sigaction", errno);
  bool ours = (cur.sa_flags & SA_SIGINFO) &&
              (cur.sa_sigaction == on_signal || cur.sa_sigaction == on_sigchld);
  napi_get_boolean(env, ours, &r);
  return r;
}

/* ---- the program's exact argv and environment (issue 10, items 7 and 8) ---- */

/* The whole of a /proc file (cmdline, environ: no size in stat), NUL-ended. */
static char *read_all(const char *path, size_t *len) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap + 1);
  while (buf) {
    if (n == cap) {
      char *b = realloc(buf, cap * 2 + 1);
      if (!b) { free(buf); buf = NULL; break; }
      buf = b;
      cap *= 2;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) { free(buf); buf = NULL; break; }
    if (r == 0) break;
    n += (size_t)r;
  }
  close(fd);
  if (!buf) return NULL;
  buf[n] = 0;
  *len = n;
  return buf;
}

/* Split NUL-separated strings into a NULL-terminated array of copies. */
static char **split_nul(const char *buf, size_t len, size_t *count) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) if (buf[i] == 0) n++;
  if (len && buf[len - 1] != 0) n++; /* a last string without its NUL */
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < len && k < n;) {
    size_t l = strnlen(buf + i, len - i);
    out[k] = malloc(l + 1);
    if (!out[k]) { free_array(out); return NULL; }
    memcpy(out[k], buf + i, l);
    out[k][l] = 0;
    k++;
    i += l + 1;
  }
  *count = k;
  return out;
}

/* Valid UTF-8 (RFC 3629: no overlongs, surrogates or > U+10FFFF)? */
static int valid_utf8(const unsigned char *p) {
  while (*p) {
    unsigned c = *p;
    int n = c < 0x80 ? 0 : (c >> 5) == 6 ? 1 : (c >> 4) == 14 ? 2 : (c >> 3) == 30 ? 3 : -1;
    if (n < 0) return 0;
    uint32_t cp = n == 0 ? c : n == 1 ? (c & 0x1f) : n == 2 ? (c & 0x0f) : (c & 0x07);
    for (int i = 1; i <= n; i++) {
      if ((p[i] & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (p[i] & 0x3f);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    p += n + 1;
  }
  return 1;
}

/* The program's argv as the kernel gave it to us: the last n strings of
 * /proc/self/cmdline (Node leaves everything after the script or the SEA's
 * own name to the script, so process.argv's tail is cmdline's tail). JS
 * strings decode invalid UTF-8 to U+FFFD; the bytes here do not. Each raw
 * string must equal the JS one or be invalid UTF-8 (which the JS one could
 * not carry); otherwise (process.title overwrote the area, or no /proc)
 * NULL, and the caller uses the JS strings. */
static char **exact_argv(char **js, size_t n) {
  size_t len = 0, count = 0;
  char *buf = read_all("/proc/self/cmdline", &len);
  if (!buf) return NULL;
  char **all = split_nul(buf, len, &count);
  free(buf);
  if (!all) return NULL;
  if (count < n) { free_array(all); return NULL; }
  for (size_t i = 0; i < n; i++) {
    const char *raw = all[count - n + i];
    if (strcmp(raw, js[i]) != 0 && valid_utf8((const unsigned char *)raw)) {
      free_array(all);
      return NULL;
    }
  }
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) { free_array(all); return NULL; }
  for (size_t i = 0; i < n; i++) out[i] = all[count - n + i]; /* moved */
  for (size_t i = 0; i < count - n; i++) free(all[i]);
  free(all);
  return out;
}

/* The environment exactly as exec(2) gave it to us: /proc/self/environ is
 * the original strings on the stack. Node's own start-up edits `environ`
 * (it deletes NODE_UNIQUE_ID and NODE_CHANNEL_FD, issue 10 item 7), which
 * the pointer array shows and the original strings do not. NULL without
 * /proc: the caller falls back to environ. */
static char **exact_env(void) {
  size_t len = 0, count = 0;
  char *buf = read_all("/proc/self/environ", &len);
  if (!buf) return NULL;
  char **out = split_nul(buf, len, &count);
  free(buf);
  return out;
}

/* In the child between fork and exec: async-signal-safe calls only. */

/* What the parent hands the child, and the child hands back on failure. With
 * CLONE_VM the child writes straight into the parent's memory; the parent
 * reads it once clone() returns (CLONE_VFORK: after the exec or the _exit). */
struct spawn_job {
  char **argv;
  char **envp;
  int new_group, take_tty;
  const int *keep;
  size_t nkeep;
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
  for (long i = -3; i < (long)job->nkeep; i++) {
    int fd = i < 0 ? (int)i + 3 : job->keep[i];
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
 *       keepFds?: number[], exactArgv?: bool, listenPid?: bool)
 *   keepFds lose close-on-exec in the child (any number of them);
 *   env null: the environment exactly as exec gave it to the init;
 *   exactArgv: argv's bytes from /proc/self/cmdline's tail (see exact_argv)
 *   listenPid: a LISTEN_PID naming us names the program (socket activation)
 *   -> { pid, argvExact, envExact } on success, plus { step, errno, message }
 *      when exec failed. */
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value args[7];
  CHECK(napi_get_cb_info(env, info, &argc, args, NULL, NULL));
  const char *usage =
      "spawn(argv: string[], env: string[] | null, newGroup: boolean, takeTty: boolean, keepFds?: number[], "
      "exactArgv?: boolean, listenPid?: boolean)";
  uint32_t nargv = 0, nkeep = 0;
  if (!arg_array(env, argc, args, 0, usage, "argv", &nargv)) return NULL;
  if (nargv == 0) return type_error(env, usage, "argv must not be empty");
  napi_valuetype et = napi_undefined;
  if (argc >= 2) napi_typeof(env, args[1], &et);
  int own_env = et != napi_null;
  uint32_t nenv = 0;
  if (own_env && !arg_array(env, argc, args, 1, usage, "env (or null)", &nenv)) return NULL;
  bool new_group = false, take_tty = false, exact = false;
  if (!arg_bool(env, argc, args, 2, usage, "newGroup", &new_group)) return NULL;
  if (!arg_bool(env, argc, args, 3, usage, "takeTty", &take_tty)) return NULL;
  napi_valuetype kt = napi_undefined, xt = napi_undefined;
  if (argc >= 5) napi_typeof(env, args[4], &kt);
  if (kt != napi_undefined && !arg_array(env, argc, args, 4, usage, "keepFds", &nkeep)) return NULL;
  if (argc >= 6) napi_typeof(env, args[5], &xt);
  if (xt != napi_undefined && !arg_bool(env, argc, args, 5, usage, "exactArgv", &exact)) return NULL;
  bool listen_pid = false;
  napi_valuetype lt = napi_undefined;
  if (argc >= 7) napi_typeof(env, args[6], &lt);
  if (lt != napi_undefined && !arg_bool(env, argc, args, 6, usage, "listenPid", &listen_pid)) return NULL;
  int *keep = calloc(nkeep + 1, sizeof(int));
  if (!keep) return throw_errno(env, "calloc", ENOMEM);
  for (uint32_t i = 0; i < nkeep; i++) {
    napi_value el;
    int64_t v;
    napi_get_element(env, args[4], i, &el);
    if (!arg_int(env, 1, &el, 0, 0, 2147483647LL, usage, "every keepFds entry", &v)) { free(keep); return NULL; }
    keep[i] = (int)v;
  }
  char **argv = string_array(env, args[0], 0);
  if (!argv) {
    free(keep);
    return type_error(env, usage, "argv must hold strings without NUL characters");
  }
  int argv_exact = 0;
  if (exact) {
    char **raw = exact_argv(argv, nargv);
    if (raw) {
      free_array(argv);
      argv = raw;
      argv_exact = 1;
    }
  }
  char **envp = NULL;
  int env_exact = 0;
  if (own_env) {
    envp = string_array(env, args[1], 0);
    if (!envp) {
      free(keep);
      free_array(argv);
      return type_error(env, usage, "env must hold strings without NUL characters");
    }
  } else {
    envp = exact_env();
    env_exact = envp != NULL;
    own_env = envp != NULL; /* ours to free */
    if (!envp) envp = environ; /* no /proc: as Node left it */
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
    free(keep);
    return throw_errno(env, "mmap", err);
  }
  (void)nenv;
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
  free(keep);
  if (pid < 0) return throw_errno(env, "clone", clone_err);
  napi_value r, b;
  napi_create_object(env, &r);
  set_num(env, r, "pid", pid);
  napi_get_boolean(env, argv_exact, &b);
  napi_set_named_property(env, r, "argvExact", b);
  napi_get_boolean(env, env_exact, &b);
  napi_set_named_property(env, r, "envExact", b);
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
  /* pid 0 (our own group) and -1 (every process we may signal) are never
   * what the init means; a group is -pgid with pgid > 1. */
  const char *usage = "kill(pid: number, signal: number)";
  int64_t pid, sig;
  if (!arg_int(env, argc, argv, 0, -2147483647LL, 2147483647LL, usage, "pid", &pid)) return NULL;
  if (pid == 0 || pid == -1) return type_error(env, usage, "pid 0 and -1 are refused (the init's own group, every process)");
  if (!arg_int(env, argc, argv, 1, 0, MAX_SIG - 1, usage, "signal", &sig)) return NULL;
  int r = kill((pid_t)pid, (int)sig);
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
  int64_t sig;
  if (!arg_int(env, argc, argv, 0, 0, MAX_SIG - 1, "setParentDeathSignal(signal: number)", "signal", &sig)) return NULL;
  if (prctl(PR_SET_PDEATHSIG, (unsigned long)sig, 0, 0, 0) < 0)
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
  int64_t pgrp;
  if (!arg_int(env, argc, argv, 0, 1, 2147483647LL, "giveTerminal(pgrp: number)", "pgrp", &pgrp)) return NULL;
  int r = tcsetpgrp(STDIN_FILENO, (pid_t)pgrp);
  return num(env, r == 0 ? 0 : errno);
}

/* exitNow(code): _exit(2), for when process.exit() would hang: Node's exit
 * joins the libuv thread pool, and a pool thread blocked in write(2) on a
 * stderr pipe nobody reads never returns. PID 1 must still exit. */
static napi_value js_exit_now(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t code;
  if (!arg_int(env, argc, argv, 0, 0, 255, "exitNow(code: number)", "code", &code)) return NULL;
  _exit((int)code);
  return NULL;
}

/* ---- the log writer thread ---------------------------------------------- */

/* Log lines go to stderr from one thread of ours, started during set-up,
 * before the program exists (issue 10, item 3). Why a thread of our own and
 * not libuv's pool (fs.write) or a write on the loop thread:
 *  - the pool is created on first use, after the program runs, when the pids
 *    cgroup may be full: libuv abort()s when uv_thread_create fails, and
 *    UV_THREADPOOL_SIZE in the image's environment sizes it (64 -> 71
 *    threads, each a pid);
 *  - a write(2) on the loop thread blocks the loop while nobody reads stderr,
 *    and the loop is what notices the program's exit;
 *  - O_NONBLOCK cannot be set on fd 2: the file description is shared with
 *    the program.
 * So: one thread, created here or never (uv_thread_create returns the error,
 * EAGAIN when no pid is free: one clear line and no program), a bounded byte
 * ring under a mutex (JS thread and this thread only, never a signal
 * handler), lines that do not fit are refused and JS counts them. The thread
 * blocks every signal: a blocking write is never interrupted, and handlers
 * run on the other threads. uv_* rather than pthread_*: Node exports libuv,
 * and pthread_create would raise the addon's glibc floor to 2.34. */
#define LOG_CAP (256 * 1024)
static char log_ring[LOG_CAP];
static size_t log_head, log_len; /* under log_mu */
static int log_busy, log_broken, log_started;
static int log_fd = 2;
static uv_mutex_t log_mu;
static uv_cond_t log_cv; /* "data queued" and "drained": broadcast */
static uv_thread_t log_tid;

static void log_thread(void *arg) {
  (void)arg;
  prctl(PR_SET_NAME, "tini-ts:log", 0, 0, 0);
  static char chunk[16384];
  uv_mutex_lock(&log_mu);
  for (;;) {
    while (log_len == 0) uv_cond_wait(&log_cv, &log_mu);
    size_t n = 0;
    while (n < sizeof chunk && log_len > 0) {
      chunk[n++] = log_ring[log_head];
      log_head = (log_head + 1) % LOG_CAP;
      log_len--;
    }
    log_busy = 1;
    uv_mutex_unlock(&log_mu);
    size_t off = 0;
    int broken = 0;
    while (off < n) {
      ssize_t w = write(log_fd, chunk + off, n - off);
      if (w > 0) {
        off += (size_t)w;
      } else if (w < 0 && errno == EINTR) {
        continue;
      } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        /* someone made the shared stderr non-blocking: wait for room */
        struct pollfd pfd = {log_fd, POLLOUT, 0};
        poll(&pfd, 1, 100);
      } else {
        broken = 1; /* EPIPE, EBADF, ENOSPC...: nobody is listening */
        break;
      }
    }
    uv_mutex_lock(&log_mu);
    log_busy = 0;
    if (broken) {
      log_broken = 1;
      log_len = 0;
    }
    uv_cond_broadcast(&log_cv);
    if (broken) break;
  }
  uv_mutex_unlock(&log_mu);
}

/* logStart(fd): start the writer thread. 0, or the errno it failed with. */
static napi_value js_log_start(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (log_started) return num(env, 0);
  int64_t fd;
  if (!arg_int(env, argc, argv, 0, 0, INT32_MAX, "logStart(fd: number)", "fd", &fd)) return NULL;
  log_fd = (int)fd;
  if (uv_mutex_init(&log_mu) != 0 || uv_cond_init(&log_cv) != 0) return num(env, ENOMEM);
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old); /* the thread inherits this mask */
  uv_thread_options_t opts;
  opts.flags = UV_THREAD_HAS_STACK_SIZE;
  opts.stack_size = 64 * 1024; /* a small stack: RLIMIT_AS, not pids, is what it costs */
  int rc = uv_thread_create_ex(&log_tid, &opts, log_thread, NULL);
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (rc != 0) {
    uv_cond_destroy(&log_cv);
    uv_mutex_destroy(&log_mu);
    return num(env, -rc); /* libuv errors are negated errnos */
  }
  log_started = 1;
  return num(env, 0);
}

/* logWrite(text): queue it; false if it does not fit (or stderr is gone). */
static napi_value js_log_write(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &len) != napi_ok)
    return type_error(env, "logWrite(text: string)", "text must be a string");
  bool ok = false;
  char *tmp = log_started && len > 0 ? malloc(len + 1) : NULL;
  if (tmp) {
    napi_get_value_string_utf8(env, argv[0], tmp, len + 1, &len);
    uv_mutex_lock(&log_mu);
    if (!log_broken && log_len + len <= LOG_CAP) {
      size_t tail = (log_head + log_len) % LOG_CAP;
      for (size_t i = 0; i < len; i++) log_ring[(tail + i) % LOG_CAP] = tmp[i];
      log_len += len;
      ok = true;
      uv_cond_broadcast(&log_cv);
    }
    uv_mutex_unlock(&log_mu);
    free(tmp);
  }
  napi_get_boolean(env, ok, &r);
  return r;
}

/* logFlush(ms): wait until everything queued is written, stderr broke, or
 * ms passed (blocks the loop: only called on the way out, when the handlers
 * still reap and forward on their own). true if all was written. */
static napi_value js_log_flush(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], r;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t ms;
  if (!arg_int(env, argc, argv, 0, 0, INT32_MAX, "logFlush(ms: number)", "ms", &ms)) return NULL;
  bool done = true;
  if (log_started) {
    int64_t deadline = now_ns() + (int64_t)ms * 1000000;
    uv_mutex_lock(&log_mu);
    while ((log_len > 0 || log_busy) && !log_broken) {
      int64_t left = deadline - now_ns();
      if (left <= 0 || uv_cond_timedwait(&log_cv, &log_mu, (uint64_t)left) != 0) break;
    }
    done = (log_len == 0 && !log_busy) || log_broken;
    uv_mutex_unlock(&log_mu);
  }
  napi_get_boolean(env, done, &r);
  return r;
}

/* ---- descriptors: the runtime's own, and the ones handed to us ---------- */

/* Every open descriptor, ascending. /proc/self/fd when mounted; without /proc
 * (issue 10, item 6) poll(2) with events 0 over every possible number up to
 * RLIMIT_NOFILE, which reports POLLNVAL for closed ones: one syscall per 4096
 * descriptors, no fd opened to look. */
static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static int *list_fds(size_t *count, int *from_proc) {
  size_t cap = 64, n = 0;
  int *fds = malloc(cap * sizeof(int));
  if (!fds) return NULL;
  DIR *d = opendir("/proc/self/fd");
  *from_proc = d != NULL;
  if (d) {
    int dfd = dirfd(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
      int fd = atoi(e->d_name);
      if (fd == dfd) continue;
      if (n == cap) {
        int *f = realloc(fds, (cap *= 2) * sizeof(int));
        if (!f) { free(fds); closedir(d); return NULL; }
        fds = f;
      }
      fds[n++] = fd;
    }
    closedir(d);
  } else {
    struct rlimit rl;
    rlim_t max = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
    if (max == RLIM_INFINITY || max > (1u << 30)) max = 1u << 30;
    struct pollfd pf[4096];
    for (rlim_t base = 0; base < max; base += 4096) {
      int k = (int)(max - base < 4096 ? max - base : 4096);
      for (int i = 0; i < k; i++) { pf[i].fd = (int)(base + i); pf[i].events = 0; pf[i].revents = 0; }
      if (poll(pf, (nfds_t)k, 0) < 0 && errno != EINTR) break;
      for (int i = 0; i < k; i++) {
        if (pf[i].revents & POLLNVAL) continue;
        if (n == cap) {
          int *f = realloc(fds, (cap *= 2) * sizeof(int));
          if (!f) { free(fds); return NULL; }
          fds = f;
        }
        fds[n++] = pf[i].fd;
      }
    }
  }
  qsort(fds, n, sizeof(int), cmp_int);
  *count = n;
  return fds;
}

/* fstat(2) as the raw system call: glibc 2.33 made fstat a versioned symbol
 * (fstat64@GLIBC_2.33), which would lift the addon's floor above 2.28 (Node
 * 24's own). The kernel's struct stat is glibc's on x86-64 and on aarch64
 * (asm-generic). A bare system call is async-signal-safe (signal-safety(7)). */
static int fd_stat(int fd, struct stat *st) {
  return (int)syscall(SYS_fstat, fd, st);
}

/* After a child of our own (not the program, not an orphan) is reaped: let
 * the SIGCHLD handlers reap again, catch up on what they deferred, restore
 * the signal mask. */
static void end_internal_child(const sigset_t *old) {
  STORE(&spawning, 0);
  if (__atomic_exchange_n(&reap_deferred, 0, __ATOMIC_ACQ_REL) && reap_all() > 0) wake_js();
  sigprocmask(SIG_SETMASK, old, NULL);
}

/* libuv's process-wide signal lock: a blocking pipe, both ends ours, made at
 * the first uv_loop_init. Nothing in libuv's API names it, and a make
 * jobserver (issue 10, item 5) looks just the same. But libuv registers
 * pthread_atfork(NULL, NULL, uv__signal_global_reinit), which in a fork(2)ed
 * child closes the lock pipe and makes a new one: the descriptors whose file
 * differs in a child are exactly libuv's lock. One fork at start-up, before
 * any handler of ours is installed; the child only fstat(2)s, writes to a
 * shared page and _exits. found[i] = 1 for those. 0 or an errno (the fork
 * failed: a full pids cgroup), and then nothing is marked. */
static int find_fork_recreated(const int *fds, const struct stat *st, const int *ok, size_t n,
                               unsigned char *found) {
  unsigned char *shared = mmap(NULL, n + 1, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) return errno;
  memset(shared, 0, n + 1);
  /* Our handlers may be installed already (they go in first thing): block
   * every signal here, so the child runs none of them, and hold reaping
   * (as spawn does) so no SIGCHLD handler on another thread reaps this child
   * and reports it as an orphan. */
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  STORE(&spawning, 1);
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    end_internal_child(&old);
    munmap(shared, n + 1);
    return err;
  }
  if (pid == 0) {
    for (size_t i = 0; i < n; i++) {
      if (!ok[i] || !S_ISFIFO(st[i].st_mode)) continue;
      struct stat now;
      if (fd_stat(fds[i], &now) < 0 || now.st_ino != st[i].st_ino || now.st_dev != st[i].st_dev) shared[i] = 1;
    }
    shared[n] = 1; /* done */
    _exit(0);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  end_internal_child(&old);
  int err = shared[n] ? 0 : ECHILD;
  if (!err) memcpy(found, shared, n);
  munmap(shared, n + 1);
  return err;
}

/* Close-on-exec and blocking: how libuv's signal lock pipe ends look. */
static int blocking_cloexec(int fd) {
  int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
  return fdfl >= 0 && (fdfl & FD_CLOEXEC) && fl >= 0 && !(fl & O_NONBLOCK);
}

/* The descriptors of one libuv loop that its struct names (uv/unix.h). */
static void loop_fds(uv_loop_t *loop, int *out, int *k) {
  if (!loop) return;
  out[(*k)++] = loop->backend_fd;
  out[(*k)++] = loop->signal_pipefd[0];
  out[(*k)++] = loop->signal_pipefd[1];
  out[(*k)++] = loop->async_io_watcher.fd;
  out[(*k)++] = loop->async_wfd;
  out[(*k)++] = loop->inotify_fd;
  out[(*k)++] = loop->emfile_fd;
}

/* fdFacts(): what is known about every open descriptor, for the rule in
 * src/inherited-fds.ts (policy lives there):
 *   { proc, fork: 0 | errno, rows: [[fd, cloexec, kind, nonblock, id, own, name, tfds]] }
 * kind: 'anon' (eventpoll, eventfd, io_uring, ...: no file type), 'pipe',
 * 'socket', 'file', 'dir', 'chr', 'blk', 'other'; id: "dev:ino" (the same
 * open file or pipe under two numbers has one id); own: why the runtime
 * owns it ('uv-loop' named by a libuv loop struct, 'uv-signal-lock' found by
 * the fork test, or as the only candidate: see js_fd_facts) or ''; name: the /proc link target ('' without /proc);
 * tfds: for an epoll, the descriptors registered in it (fdinfo, proc(5)). */
static napi_value js_fd_facts(napi_env env, napi_callback_info info) {
  (void)info;
  size_t n = 0;
  int from_proc = 0;
  int *fds = list_fds(&n, &from_proc);
  if (!fds) return throw_errno(env, "listing descriptors", ENOMEM);
  struct stat *st = calloc(n + 1, sizeof *st);
  int *ok = calloc(n + 1, sizeof(int));
  unsigned char *recreated = calloc(n + 1, 1);
  if (!st || !ok || !recreated) {
    free(fds); free(st); free(ok); free(recreated);
    return throw_errno(env, "fdFacts", ENOMEM);
  }
  for (size_t i = 0; i < n; i++) ok[i] = fd_stat(fds[i], &st[i]) == 0;
  /* Loops whose structs we can read: the default loop (if Node made one:
   * uv_default_loop() would make it otherwise) and this environment's. */
  int named[16];
  int nn = 0;
  uv_loop_t *mine = NULL;
  napi_get_uv_event_loop(env, &mine);
  loop_fds(mine, named, &nn);
  /* The fork is needed only to tell libuv's lock pipe from an inherited one
   * that looks the same: below the first closed number, a close-on-exec pipe
   * held at both ends, both blocking. libuv's lock pipe is always one such;
   * when it is the only one (no inherited pipe of that shape: the common
   * case), it is the lock, and the fork (~1.7 ms and a process at every
   * start) is skipped. */
  int fork_err = 0;
  size_t cand = 0, cand_i = 0, cand_j = 0;
  int hole = 0;
  for (size_t i = 0; i < n && fds[i] == hole; i++) hole++;
  for (size_t i = 0; i < n; i++) {
    if (!ok[i] || !S_ISFIFO(st[i].st_mode) || fds[i] >= hole || !blocking_cloexec(fds[i])) continue;
    size_t same = 0, other = i;
    for (size_t j = 0; j < n; j++)
      if (j != i && ok[j] && st[j].st_ino == st[i].st_ino && st[j].st_dev == st[i].st_dev) { same++; other = j; }
    if (same != 1 || other < i || fds[other] >= hole || !blocking_cloexec(fds[other])) continue;
    cand++; cand_i = i; cand_j = other;
  }
  if (cand > 1) fork_err = find_fork_recreated(fds, st, ok, n, recreated);
  else if (cand == 1) recreated[cand_i] = recreated[cand_j] = 1;
  /* The fork's child was reaped by waitpid above; a SIGCHLD handler of ours
   * is not installed yet (setUp calls this first). */
  napi_value out, rows;
  napi_create_object(env, &out);
  napi_create_array_with_length(env, n, &rows);
  uint32_t r = 0;
  for (size_t i = 0; i < n; i++) {
    if (!ok[i]) continue;
    int fd = fds[i];
    int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
    mode_t m = st[i].st_mode & S_IFMT;
    const char *kind = m == 0 ? "anon" : S_ISFIFO(st[i].st_mode) ? "pipe" : S_ISSOCK(st[i].st_mode) ? "socket"
                     : S_ISREG(st[i].st_mode) ? "file" : S_ISDIR(st[i].st_mode) ? "dir"
                     : S_ISCHR(st[i].st_mode) ? "chr" : S_ISBLK(st[i].st_mode) ? "blk" : "other";
    const char *own = "";
    for (int k = 0; k < nn; k++) if (named[k] == fd) own = "uv-loop";
    if (recreated[i]) own = "uv-signal-lock";
    char id[64], link[512], path[64];
    snprintf(id, sizeof id, "%llu:%llu", (unsigned long long)st[i].st_dev, (unsigned long long)st[i].st_ino);
    ssize_t ln = -1;
    if (from_proc) {
      snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
      ln = readlink(path, link, sizeof link - 1);
    }
    link[ln > 0 ? ln : 0] = 0;
    napi_value row, v, tfds;
    napi_create_array_with_length(env, 8, &row);
    napi_set_element(env, row, 0, num(env, fd));
    napi_get_boolean(env, fdfl >= 0 && (fdfl & FD_CLOEXEC), &v);
    napi_set_element(env, row, 1, v);
    napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 2, v);
    napi_get_boolean(env, fl >= 0 && (fl & O_NONBLOCK), &v);
    napi_set_element(env, row, 3, v);
    napi_create_string_utf8(env, id, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 4, v);
    napi_create_string_utf8(env, own, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 5, v);
    napi_create_string_latin1(env, link, NAPI_AUTO_LENGTH, &v);
    napi_set_element(env, row, 6, v);
    napi_create_array(env, &tfds);
    if (strcmp(link, "anon_inode:[eventpoll]") == 0) {
      /* fdinfo of an epoll: one "tfd: N events: ..." line per registration */
      size_t flen = 0;
      snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
      char *fi = read_all(path, &flen);
      uint32_t t = 0;
      for (char *p = fi; p && (p = strstr(p, "tfd:")) != NULL; p += 4)
        napi_set_element(env, tfds, t++, num(env, atoi(p + 4)));
      free(fi);
    }
    napi_set_element(env, row, 7, tfds);
    napi_set_element(env, rows, r++, row);
  }
  napi_set_named_property(env, out, "rows", rows);
  napi_value b;
  napi_get_boolean(env, from_proc, &b);
  napi_set_named_property(env, out, "proc", b);
  set_num(env, out, "fork", fork_err);
  free(fds); free(st); free(ok); free(recreated);
  return out;
}

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_default, NULL}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      FN("setup", js_setup),
      FN("setPolicy", js_set_policy),
      FN("installHandlers", js_install),
      FN("handlerIsOurs", js_handler_is_ours),
      FN("releaseSignals", js_release_signals),
      FN("logStart", js_log_start),
      FN("logWrite", js_log_write),
      FN("logFlush", js_log_flush),
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
      FN("fdFacts", js_fd_facts),
      FN("stopWake", js_stop_wake),
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
