/*
 * handover.c: exec the Node executable, tini-ts-node, for every invocation
 * the front end does not run itself. execve(2) keeps the pid, the children,
 * the child-subreaper attribute and the descriptors (the front end opens
 * none without close-on-exec), and gets our argv and environment unchanged.
 * The signal mask we inherited is restored first, so Node starts as if run
 * directly. (Node's start-up resets the main thread's mask anyway: signals
 * held here would act at that point with their default action, as they
 * would have without the front end.)
 *
 * Where it is looked for:
 *  - beside the front end's own file: dirname(readlink("/proc/self/exe")),
 *    which follows symlinks (/usr/local/bin/tini -> /opt/tini-ts/tini-ts).
 *    That file and no other: one that is missing or cannot be run is said
 *    (its path and why), never replaced by another install's, which would
 *    run silently with other code.
 *  - without /proc only: beside argv[0] as given (resolved with realpath(3)
 *    when it can be), or, for a bare name, beside the first match of that
 *    name in PATH; the first of these that exists is the one; else
 *    tini-ts-node itself in PATH.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend.h"

#define NODE_EXE "tini-ts-node"

/* dir (up to its last slash) + "/" + NODE_EXE into out; 0 when too long. */
static int beside(const char *file, char *out, size_t size) {
  const char *slash = strrchr(file, '/');
  size_t dlen = slash ? (size_t)(slash - file) : 0;
  if (!slash || dlen + 1 + sizeof NODE_EXE > size) return 0;
  memcpy(out, file, dlen);
  out[dlen] = '/';
  memcpy(out + dlen + 1, NODE_EXE, sizeof NODE_EXE);
  return 1;
}

/* The first PATH entry holding an executable `name`, into out. */
static int in_path(const char *name, char *out, size_t size) {
  const char *path = getenv("PATH");
  if (!path) path = "/bin:/usr/bin";
  for (const char *p = path;;) {
    const char *end = strchrnul(p, ':');
    size_t dlen = (size_t)(end - p);
    if (dlen && dlen + 1 + strlen(name) < size) {
      memcpy(out, p, dlen);
      out[dlen] = '/';
      strcpy(out + dlen + 1, name);
      if (access(out, X_OK) == 0) return 1;
    }
    if (!*end) return 0;
    p = end + 1;
  }
}

/* 1: out is the one to exec (it may still fail: said then); 0: none
 * found; -1: said why not. */
static int find_node(const char *argv0, char *out, size_t size) {
  char self[PATH_MAX], found[PATH_MAX], real[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = 0;
    if (beside(self, out, size)) return 1;
    say(LABEL_FATAL, "cannot run the Node executable beside ", self, ": ", errno_text(ENAMETOOLONG), NULL);
    return -1;
  }
  if (argv0 && *argv0) {
    const char *file = argv0;
    if (!strchr(argv0, '/')) file = in_path(argv0, found, sizeof found) ? found : NULL;
    if (file && realpath(file, real) && beside(real, out, size) && access(out, F_OK) == 0) return 1;
    if (file && beside(file, out, size) && access(out, F_OK) == 0) return 1;
  }
  return in_path(NODE_EXE, out, size);
}

void hand_over(const struct invocation *inv) {
  char node[PATH_MAX];
  int found = find_node(inv->argv[0], node, sizeof node);
  if (found < 0) return;
  if (!found) {
    say(LABEL_FATAL, "cannot find the Node executable " NODE_EXE " (no /proc: looked beside argv[0] and in PATH)", NULL);
    return;
  }
  sigmask_set(SIG_SETMASK, &inv->mask, NULL);
  execve(node, inv->argv, inv->envp);
  int err = errno;
  uint64_t all = ~0ULL;
  sigmask_set(SIG_SETMASK, &all, NULL);
  say(LABEL_FATAL, "cannot run the Node executable ", node, ": ", errno_text(err), NULL);
}
