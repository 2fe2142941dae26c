/*
 * zombie_stat.c: the name and age of a zombie, read from /proc in the SIGCHLD
 * handler before it is reaped (handlers.c peeks with WNOWAIT first, so the
 * entry is still there), within a budget per window of time. Async-signal-
 * safe (signal-safety(7)): each function names the calls it makes.
 */
#include "zombie_stat.h"

#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "signal_safe.h"

/* The budget. Opening a zombie's /proc entry makes the kernel build that
 * entry, and the reap tear it down: 25-30 µs, as much as tini spends on a
 * whole reap and its -w line. In an orphan storm that would double the
 * init's CPU, inside the pod's quota, just when the app is busiest. So at
 * most READS_PER_WINDOW orphans a window are read; the rest of a storm is
 * logged by pid alone, as tini logs every orphan, and as when /proc is
 * missing. An orphan now and then (the case the name helps with) is always
 * named. Shared by the handlers on every thread: atomics only, and a
 * budget needs no exact count. */
#define READS_PER_WINDOW 16
#define WINDOW_NS 100000000ULL /* 100 ms: at most 160 reads a second, under 0.5% of a CPU */
static uint64_t window_start_ns;
static int reads_in_window;

/* 0 if the clock cannot be read. Async-signal-safe: clock_gettime. */
static uint64_t coarse_now_ns(void) {
  struct timespec ts;
  if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0) return 0;
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Async-signal-safe: clock_gettime, atomics. */
int zombie_read_budget_left(void) {
  return coarse_now_ns() - LOAD(&window_start_ns) >= WINDOW_NS || LOAD(&reads_in_window) < READS_PER_WINDOW;
}

/* Async-signal-safe: clock_gettime, atomics. */
int zombie_read_allowed(void) {
  uint64_t now = coarse_now_ns();
  if (now == 0) return 1; /* no clock: no budget either */
  uint64_t start = LOAD(&window_start_ns);
  /* one thread opens the next window; a reader racing it may count in
   * either window, which a budget can afford */
  if (now - start >= WINDOW_NS &&
      __atomic_compare_exchange_n(&window_start_ns, &start, now, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    STORE(&reads_in_window, 0);
  return ADD(&reads_in_window, 1) <= READS_PER_WINDOW;
}


/* Only the name, from /proc/PID/comm: text lines need no age, and the
 * kernel makes the one-line comm file for much less than the 52 fields of
 * stat (in an orphan storm with -w, this read is most of the cost per
 * orphan). Relative to a descriptor of /proc opened beforehand, which
 * spares the walk from /. Async-signal-safe: openat, read, close, strcat. */
static void read_comm(int proc_dir_fd, pid_t pid, event_t *ev) {
  char path[32];
  fmt_uint(path, (unsigned long)pid);
  strcat(path, "/comm");
  int fd = openat(proc_dir_fd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  ssize_t n = read(fd, ev->comm, sizeof ev->comm - 1);
  close(fd);
  if (n <= 0) return;
  if (ev->comm[n - 1] == '\n') n--; /* the file is the name and a newline */
  ev->comm[n] = 0;
}

/* comm and starttime of a zombie from /proc/PID/stat (proc(5)).
 * Async-signal-safe: open, read, close, strcat, strchr, strrchr, memcpy
 * (strcat and friends are listed since POSIX.1-2016), read_comm. */
void read_zombie(pid_t pid, int name_dir_fd, event_t *ev) {
  if (name_dir_fd >= 0) {
    read_comm(name_dir_fd, pid, ev);
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
