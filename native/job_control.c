/*
 * job_control.c: the terminal side of job control, run from the SIGCHLD and
 * SIGCONT handlers (handlers.c) once TypeScript has decided that we run as
 * a job of an interactive shell (src/init/job-control.ts). handlers.c says
 * when, and with which pid (job control on, the program alive); this file
 * holds no state. Async-signal-safe (signal-safety(7)): each function names
 * the calls it makes.
 */
#define _GNU_SOURCE
#include "job_control.h"

#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "constants.h"
#include "reap_gate.h"
#include "ring.h"
#include "wake.h"

/* The program owns the terminal, so Ctrl-Z (and SIGTTIN/SIGTTOU for its
 * background I/O) stops its group, not ours, and the shell waiting for us
 * would never see a stopped job. So when the program stops, stop our own
 * group too, as the terminal would have without an init in between
 * (dumb-init raises SIGSTOP on itself likewise). The stop report is consumed
 * here (WSTOPPED, no WNOWAIT); WEXITED is not asked, nothing is reaped.
 * Async-signal-safe: waitid, kill, tcgetpgrp, getpgrp, tcsetpgrp, memset,
 * ring_push, wake_js. */
void stop_with_program(pid_t pid) {
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
void continue_program(pid_t pid) {
  if (tcgetpgrp(STDIN_FILENO) == getpgrp()) tcsetpgrp(STDIN_FILENO, pid);
  kill_own_child(pid, SIGCONT, 1); /* not once reaped: see handlers.c, send_to_child */
}
