/*
 * zombie_stat.h: what a reaped orphan was, read from /proc while it is still
 * a zombie (zombie_stat.c), for the SIGCHLD handler's events.
 */
#ifndef TINI_ZOMBIE_STAT_H
#define TINI_ZOMBIE_STAT_H

#include <sys/types.h>

#include "ring.h"

/* Fill ev->comm (and ev->start, the age) of the zombie pid. name_dir_fd >= 0:
 * only the name, from comm relative to that descriptor of /proc; -1: name and
 * age from /proc/PID/stat. Unknown fields are left as they were (no /proc, or
 * the zombie gone). Async-signal-safe. */
void read_zombie(pid_t pid, int name_dir_fd, event_t *ev);
/* 1 while this window's budget of reads lasts (zombie_stat.c says why):
 * each 1 counts one read. Async-signal-safe. */
int zombie_read_allowed(void);
/* 1 if zombie_read_allowed() would now say 1; counts nothing. Async-signal-safe. */
int zombie_read_budget_left(void);

#endif
