/*
 * job_control.h: following the program's stops on a terminal (job_control.c),
 * from the handlers only. Both are async-signal-safe.
 */
#ifndef TINI_JOB_CONTROL_H
#define TINI_JOB_CONTROL_H

#include <sys/types.h>

/* After a SIGCHLD: when the program pid has stopped, record it and stop our
 * own group too (or, stopped by background I/O after `fg`, hand it the
 * terminal and continue it). */
void stop_with_program(pid_t pid);
/* After a SIGCONT: hand the terminal on to the program's group if it is
 * ours, and continue that group. */
void continue_program(pid_t pid);

#endif
