/*
 * frontend.h: the native front end of tini-ts, shared declarations.
 *
 * The front end is the command users run. It runs the probe invocation
 * (`tini-ts -s -- redis-cli ping`: not PID 1, a subreaper, only the options
 * it implements) by itself, in a few hundred microseconds of CPU, and execs
 * the Node executable (tini-ts-node, beside it) for every other invocation,
 * with argv, environment and pid unchanged. Files, by concern:
 *   main.c      the decision: run here, or hand over
 *   options.c   the command line and variables, over the generated table
 *   handover.c  finding tini-ts-node and exec'ing it
 *   supervise.c spawn, forward, reap, the deadline, the exit code
 *   tree.c      terminating the descendants, each tied to a pidfd
 *   say.c       stderr lines in the Node path's format, raw signal syscalls
 */
#ifndef TINI_FRONTEND_H
#define TINI_FRONTEND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One row of src/cli/cli.ts's option table (generated into options.gen.h). */
struct opt_spec {
  char short_name; /* 0: none */
  const char *long_name;
  const char *key;
  int takes_value;
};

/* What the fast path needs to know; everything else went to Node. */
struct fast_config {
  char **program;           /* PROGRAM and its ARGS, as given */
  int to_group;             /* -g / TINI_KILL_PROCESS_GROUP */
  unsigned char remap[256]; /* -e: these exit codes become 0 */
  int pdeathsig;            /* -p: 0 = none */
  long long timeout_ms;     /* --timeout: 0 = none */
  long long grace_ms;       /* --grace */
  int cleanup;              /* terminate what the program leaves behind */
};

/* How we were started: what a hand-over passes on unchanged. */
struct invocation {
  char **argv;
  char **envp;
  uint64_t mask; /* the signal mask we inherited */
};

/* options.c: 1 when the fast path implements every part of this command
 * line and environment (cfg filled in), 0 when Node must run it. */
int parse_fast(int argc, char **argv, char **envp, struct fast_config *cfg);

/* handover.c: exec tini-ts-node with our argv and environment; returns only
 * after printing why it could not (the caller exits 1). */
void hand_over(const struct invocation *inv);

/* supervise.c: runs the program to its end; the init's exit code. */
int supervise(const struct fast_config *cfg, const struct invocation *inv);

/* The state the supervision loop and the tree walk share. */
struct run {
  const struct fast_config *cfg;
  pid_t self;
  pid_t program;
  int alive;  /* the program is not reaped yet: its pid is still its own */
  int status; /* its wait status once reaped */
};

/* supervise.c: waits up to ms (< 0: for ever) for one signal and acts on it
 * (reap, forward); the tree walk sleeps through it. */
void pump(struct run *r, long long ms);
long long now_ms(void);

/* tree.c */
void terminate_tree(struct run *r, long long grace_ms);

/* say.c: "[LEVEL tini-ts (PID)] message\n", control characters escaped as
 * src/lib/escape.ts does; parts are concatenated (NULL ends them). */
void say(const char *label, ...);
const char *errno_text(int err);
const char *signal_name(int sig);
int signal_policy(int sig); /* SIG_FORWARDED | SIG_OWN_ACT */
int signal_by_name(const char *s);
#define SIG_FORWARDED 1
#define SIG_OWN_ACT 2
int utf8_valid(const char *s);
int sigmask_set(int how, const uint64_t *set, uint64_t *old);
int sig_timedwait(const uint64_t *set, void *info, long long ms);

#define LABEL_FATAL "FATAL"
#define LABEL_WARN "WARN "

#endif
