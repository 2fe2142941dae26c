/*
 * handlers.h: the state the signal handlers and the spawned child share with
 * the rest of the addon, and the functions they run (handlers.c).
 *
 * Everything declared here is touched from signal handlers on any of Node's
 * threads: read and write it only with the atomics below (LOAD/STORE/ADD),
 * never under a lock.
 */
#ifndef TINI_HANDLERS_H
#define TINI_HANDLERS_H

#define _GNU_SOURCE
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <uv.h>

#include "constants.h"

#define LOAD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ADD(p, v) __atomic_add_fetch((p), (v), __ATOMIC_ACQ_REL)
#define XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_ACQ_REL)

/* ---- events handed to JS (drained by events.c) ---- */

typedef struct {
  int32_t type;    /* enum event_type */
  int32_t pid;     /* EV_REAPED: reaped pid; EV_SIGNAL: target (neg = group), 0 if none; EV_STOPPED: the program */
  int32_t status;  /* EV_REAPED: wait status; EV_SIGNAL: signal received; EV_STOPPED: stop signal */
  int32_t sent_as; /* EV_SIGNAL: signal sent (0 = dropped by policy) */
  int32_t err;     /* EV_SIGNAL: 0 sent, SIGNAL_HELD, or errno of kill(2) */
  int32_t sender;  /* EV_SIGNAL: si_pid of the sender */
  uint64_t start;  /* EV_REAPED with details: starttime in clock ticks */
  char comm[16];   /* EV_REAPED with details: command name */
} event_t;

/* A slot's sequence number, stored less the slot's index: Vyukov's queue
 * starts slot i at seq i, which is then a stored 0, so the ring needs no
 * initialising pass (which touched all of its pages, half a MiB, at every
 * start: page faults and resident memory a run with no event never needs). */
typedef struct {
  size_t seq; /* atomic; read and written through SLOT_SEQ / SET_SLOT_SEQ */
  event_t ev;
} slot_t;
#define SLOT_SEQ(s, idx) (LOAD(&(s)->seq) + (idx))
#define SET_SLOT_SEQ(s, idx, v) STORE(&(s)->seq, (v) - (idx))

#define RING_SIZE 8192 /* power of two */
extern slot_t ring[RING_SIZE];
extern size_t ring_head;      /* producers: next position to claim */
extern uint64_t ring_dropped; /* events lost because the ring was full */

/* ---- policy set by JS, read by the handlers ---- */

extern int fwd_map[MAX_SIG];   /* signal to send for each one received; 0 = drop */
extern uint64_t own_drop_mask; /* bit sig-1: drop this signal when we raised it ourselves */
extern int to_group;           /* 1 = kill(-pgid) instead of kill(pid) */
extern int details;            /* 1 = read comm/starttime of reaped orphans */
extern int job_control;        /* 1 = follow the program's stops */
/* 1 = each orphan reaped becomes an event for JS (it logs them); 0 = only
 * counted (orphans_total): in an orphan storm nothing wakes JS for a reap
 * nobody will hear of. */
extern int reap_events;
/* 1 = of the details, only the name is wanted (read from proc_dir_fd) */
extern int reap_name_only;
extern int proc_dir_fd; /* /proc, opened by setReapEvents; -1: none */

/* ---- the program ---- */

extern pid_t child_pid;      /* 0 until spawned */
extern int child_alive;
/* The program's wait status once reaped, -1 before: a slot of its own, not
 * the ring, so a storm that fills the ring cannot lose it. drain() turns it
 * into one programExited event (program_exit_pending: not yet drained). */
extern int program_status;
extern int program_exit_pending;
extern uint64_t pending_mask; /* signals that arrived before the program ran */
extern uint64_t reaped_total, forwarded_total;
extern uint64_t orphans_total; /* reaped, other than the program */
extern pid_t self_pid;

/* ---- waking JS ---- */
extern uv_async_t wake_async;
extern int wake_ready; /* 1 once wake_async is initialised */
/* 1 while a wake for orphan reaps is pending or its batching window runs
 * (binding.c): further reaps in that window add to the batch, no wake. */
extern int wake_gate;

/* ---- the spawned child ---- */

/* What the parent hands the child, prepared in full before clone (the child
 * allocates nothing), and what the child hands back on failure. */
struct spawn_job {
  char **argv;         /* the program's argv */
  char **envp;
  char **candidates;   /* paths to execve in turn (the PATH search, done in the parent) */
  int search_errno;    /* errno when there is no candidate at all (ENOENT, ENAMETOOLONG) */
  char **sh_argv;      /* {"/bin/sh", <candidate>, argv[1..], NULL}: for ENOEXEC, as execvp(3) */
  int new_group, take_tty;
  const int *keep;
  size_t nkeep;
  int report_fd;       /* close-on-exec pipe: the child writes {step, errno} before _exit; -1 = none */
  char *listen_pid_digits; /* where the child writes its pid, or NULL */
  int failed_step;     /* written by the child when it shares our memory (CLONE_VM) */
  int failed_errno;
};

/* What the child writes into report_fd when it fails (EOF: exec worked). */
struct spawn_report {
  int32_t step;
  int32_t err;
};

/* ---- handlers.c: async-signal-safe (signal-safety(7)) ---- */

void ring_push(const event_t *ev);
void wake_js(void);
void wake_js_lazy(void);
void fmt_uint(char *dst, unsigned long v);
int reap_all(int *wake);
void wake_for_reaps(int wake);
void follow_program_stop(void);
void flush_pending(void);
void on_signal(int sig, siginfo_t *si, void *uctx);
void on_sigchld(int sig, siginfo_t *si, void *uctx);
int child_after_clone(void *arg);

#endif
