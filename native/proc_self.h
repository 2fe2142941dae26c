/* proc_self.h: the init's own argv and environment, byte for byte, from
 * /proc/self (proc_self.c). Not for handlers: these allocate. */
#ifndef TINI_PROC_SELF_H
#define TINI_PROC_SELF_H
#include <stddef.h>

/* The whole of a file without a size in stat (cmdline, environ, fdinfo),
 * NUL-ended; NULL when it cannot be read. */
char *read_all(const char *path, size_t *len);
/* The last n strings of /proc/self/cmdline when they are the JS strings js
 * (or invalid UTF-8 that JS could not carry); NULL otherwise. */
char **exact_argv(char **js, size_t n);
/* /proc/self/environ as a NULL-terminated array; NULL without /proc. */
char **exact_env(void);

#endif
