/*
 * say.c: the front end's stderr lines, its tables (generated from the
 * TypeScript: signal names and policy, glibc's error texts), and the raw
 * signal system calls.
 *
 * A line is what src/init/log.ts writes at the default verbosity: "[FATAL
 * tini-ts (PID)] message" or "[WARN  tini-ts (PID)] message", with the
 * message's control characters escaped as src/lib/escape.ts does, in one
 * write(2) so lines from two writers never interleave. A pipe takes a write
 * whole only up to PIPE_BUF (4096) bytes: a longer line loses its middle,
 * marked "...", never its start, its end (where the error is said) or its
 * newline. The write never
 * blocks: a stderr pipe that nobody reads must not hold up a deadline or a
 * cleanup (the Node path has its writer thread for that). A line that cannot
 * be written now is dropped, and a failed write (stderr closed) is not
 * retried: nobody is there to tell.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "frontend.h"
#include "errors.gen.h"
#include "signals.gen.h"

#define LINE_MAX_BYTES 4096
#define CUT_MARK "..."
#define CUT_HEAD 2048 /* bytes kept before the cut */

/* Built twice: once only counting (b NULL), then written, each unit (a
 * character, an escape) whole or not at all, so the cut never splits one. */
struct line {
  char *b;
  size_t n;        /* bytes in b */
  size_t pos;      /* bytes of the whole line so far */
  size_t cut_from; /* the units from here ... */
  size_t cut_to;   /* ... to here are left out (cut_from == cut_to: none) */
};

static void put(struct line *l, const char *s, size_t len) {
  size_t at = l->pos;
  l->pos += len;
  if (!l->b) return;
  if (l->cut_to > l->cut_from && at + len > l->cut_from && at < l->cut_to) {
    if (at <= l->cut_from && l->pos > l->cut_from) { /* the first unit cut */
      memcpy(l->b + l->n, CUT_MARK, sizeof CUT_MARK - 1);
      l->n += sizeof CUT_MARK - 1;
    }
    return;
  }
  memcpy(l->b + l->n, s, len);
  l->n += len;
}

static void put_uint(struct line *l, unsigned long long v) {
  char tmp[24];
  int n = 0;
  do { tmp[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) put(l, &tmp[--n], 1);
}

/* src/lib/escape.ts: a backslash, C0 controls, DEL and C1 controls (U+0080 to
 * U+009F, in UTF-8 0xC2 0x80..0x9F) become \\, \n, \t, \r or \xNN. The text
 * is valid UTF-8 (main.c hands other program names to Node, which decodes
 * them with U+FFFD). */
static void put_escaped(struct line *l, const char *s) {
  static const char hex[] = "0123456789abcdef";
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    unsigned c = *p;
    if (c == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) {
      c = *++p;
    } else if (c >= 0xC2) { /* a whole character: 2 to 4 bytes */
      size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      put(l, (const char *)p, n);
      p += n - 1;
      continue;
    } else if (c != '\\' && c >= 0x20 && c != 0x7F) {
      put(l, (const char *)p, 1);
      continue;
    }
    if (c == '\\') put(l, "\\\\", 2);
    else if (c == '\n') put(l, "\\n", 2);
    else if (c == '\t') put(l, "\\t", 2);
    else if (c == '\r') put(l, "\\r", 2);
    else {
      char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
      put(l, e, 4);
    }
  }
}

/* O_NONBLOCK may not be set on stderr itself: the file description is
 * shared with the program (and whoever started us). A pipe is opened again
 * through /proc/self/fd/2, which makes a description of our own, and a
 * socket takes MSG_DONTWAIT. A file or a terminal is written as it is. */
static void write_now(const char *b, size_t n) {
  struct stat st;
  int fd = -1;
  ssize_t w;
  if (fstat(2, &st) == 0 && S_ISSOCK(st.st_mode)) {
    while ((w = send(2, b, n, MSG_DONTWAIT | MSG_NOSIGNAL)) < 0 && errno == EINTR) {}
    return;
  }
  if (fstat(2, &st) == 0 && S_ISFIFO(st.st_mode)) fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  while ((w = write(fd >= 0 ? fd : 2, b, n)) < 0 && errno == EINTR) {}
  if (fd >= 0) close(fd);
}

static void build(struct line *l, const char *label, va_list ap) {
  put(l, "[", 1);
  put(l, label, strlen(label));
  put(l, " tini-ts (", 10);
  put_uint(l, (unsigned long long)getpid());
  put(l, ")] ", 3);
  for (const char *part; (part = va_arg(ap, const char *)) != NULL;) put_escaped(l, part);
  put(l, "\n", 1);
}

void say(const char *label, ...) {
  char b[LINE_MAX_BYTES];
  struct line l = {.b = NULL, .n = 0, .pos = 0, .cut_from = 0, .cut_to = 0};
  va_list ap;
  va_start(ap, label);
  build(&l, label, ap);
  va_end(ap);
  size_t whole = l.pos;
  l = (struct line){.b = b, .n = 0, .pos = 0, .cut_from = 0, .cut_to = 0};
  if (whole > sizeof b) {
    l.cut_from = CUT_HEAD;
    l.cut_to = whole - (sizeof b - CUT_HEAD - (sizeof CUT_MARK - 1));
  }
  va_start(ap, label);
  build(&l, label, ap);
  va_end(ap);
  write_now(l.b, l.n);
}

const char *errno_text(int err) {
  if (err >= 0 && err < ERRNO_TEXT_COUNT) return ERRNO_TEXT[err];
  return "Unknown error";
}

const char *signal_name(int sig) {
  return sig > 0 && sig < 65 ? SIGNAL_NAME[sig] : "signal";
}

int signal_policy(int sig) {
  return sig > 0 && sig < 65 ? SIGNAL_POLICY[sig] : 0;
}

/* A standard signal's name as src/init/signals.ts's parseSignal takes it (any
 * case, with or without SIG); 0 for anything else. */
int signal_by_name(const char *s) {
  const char *bare = strncasecmp(s, "SIG", 3) == 0 ? s + 3 : s;
  for (int i = 0; i < SIGNAL_BY_NAME_COUNT; i++) {
    if (strcasecmp(bare, SIGNAL_BY_NAME[i].name + 3) == 0) return SIGNAL_BY_NAME[i].num;
  }
  return 0;
}

/* Strict UTF-8 (no overlong forms, no surrogates, at most U+10FFFF): what
 * V8 decodes without a replacement character. */
int utf8_valid(const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p;) {
    unsigned c = *p;
    int n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
    if (n < 0) return 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c == 0xE0) lo = 0xA0;
    else if (c == 0xED) hi = 0x9F;
    else if (c == 0xF0) lo = 0x90;
    else if (c == 0xF4) hi = 0x8F;
    p++;
    for (int i = 0; i < n; i++, p++) {
      if (*p < (i == 0 ? lo : 0x80) || *p > (i == 0 ? hi : 0xBF)) return 0;
    }
  }
  return 1;
}

/* The kernel's 64-bit signal set, through the raw calls: libc's sigset_t
 * functions refuse the signals a libc keeps for itself (32-34 in musl), and
 * the front end, which has no threads, blocks every one of them. */
int sigmask_set(int how, const uint64_t *set, uint64_t *old) {
  return (int)syscall(SYS_rt_sigprocmask, how, set, old, sizeof(uint64_t));
}

int sig_timedwait(const uint64_t *set, void *info, long long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  return (int)syscall(SYS_rt_sigtimedwait, set, info, ms < 0 ? NULL : &ts, sizeof(uint64_t));
}

long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
