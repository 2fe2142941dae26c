/*
 * main.c: the front end's entry. Blocks every signal first (none may be lost
 * or act by default in the first microseconds, as tini does before it
 * forks), then decides: run the invocation here, or exec the Node
 * executable with it (handover.c). It runs here only when every part of it
 * is implemented here and the machine offers what the native supervision
 * relies on:
 *  - not PID 1 (an init's job, and its boot paid once, is Node's);
 *  - a subreaper (-s, TINI_SUBREAPER) with only the options options.c
 *    implements, at the default verbosity;
 *  - stdin is not our controlling terminal (whichever group is in its
 *    foreground: started with `&` on a shell, the program may need the
 *    terminal after `fg`, and only the Node path's job control hands it
 *    over; a terminal that is not ours, where tcgetpgrp(3) fails, is
 *    just a file);
 *  - /proc of our own PID namespace, with the children lists
 *    (/proc/PID/task/TID/children) the tree walk reads;
 *  - pidfd_open(2), which ties each signal of a termination to the process
 *    found (Linux 5.3);
 *  - no LISTEN_PID (socket activation rewrites it: Node's);
 *  - a program name in valid UTF-8 (so a message naming it reads exactly as
 *    Node's, which decodes with U+FFFD).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "frontend.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int own_proc(pid_t self) {
  char link[32], want[32];
  ssize_t n = readlink("/proc/self", link, sizeof link - 1);
  if (n <= 0) return 0;
  link[n] = 0;
  snprintf(want, sizeof want, "%d", (int)self);
  if (strcmp(link, want) != 0) return 0; /* another namespace's /proc */
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)self, (int)self);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0; /* a kernel without CONFIG_PROC_CHILDREN */
  close(fd);
  return 1;
}

static int have_pidfd(pid_t self) {
  int fd = (int)syscall(SYS_pidfd_open, self, 0);
  if (fd < 0) return 0;
  close(fd);
  return 1;
}

static int runs_here(const struct fast_config *cfg) {
  pid_t self = getpid();
  if (self == 1) return 0;
  if (isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) >= 0) return 0;
  if (getenv("LISTEN_PID")) return 0;
  if (!utf8_valid(cfg->program[0])) return 0;
  return own_proc(self) && have_pidfd(self);
}

int main(int argc, char **argv, char **envp) {
  struct invocation inv = {.argv = argv, .envp = envp, .mask = 0};
  uint64_t all = ~0ULL;
  sigmask_set(SIG_SETMASK, &all, &inv.mask);
  struct fast_config cfg;
  if (argc < 1 || !parse_fast(argc, argv, envp, &cfg) || !runs_here(&cfg)) {
    hand_over(&inv);
    return 1;
  }
  return supervise(&cfg, &inv);
}
