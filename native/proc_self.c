/*
 * proc_self.c: the program's exact argv and environment, read from the init's own /proc/self. Runs on the JS thread before
 * the spawn; allocates freely (never reached from a handler).
 */
#define _GNU_SOURCE
#include "proc_self.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "napi_util.h"

char *read_all(const char *path, size_t *len) {
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
char **exact_argv(char **js, size_t n) {
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
 * (it deletes NODE_UNIQUE_ID and NODE_CHANNEL_FD), which
 * the pointer array shows and the original strings do not. NULL without
 * /proc: the caller falls back to environ. */
char **exact_env(void) {
  size_t len = 0, count = 0;
  char *buf = read_all("/proc/self/environ", &len);
  if (!buf) return NULL;
  char **out = split_nul(buf, len, &count);
  free(buf);
  return out;
}
