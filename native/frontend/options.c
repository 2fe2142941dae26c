/*
 * options.c: the command line and the TINI_* variables, read over the same
 * option table src/cli/cli.ts parses with (generated into options.gen.h), the
 * same way (getopt: short flags cluster, `--opt value` or `--opt=value`,
 * `--` or the first word that is not an option ends them).
 *
 * The front end implements only the options a probe uses, listed below by
 * the table's keys. Anything else, an option it does not implement, one the
 * table does not know, a value it does not read exactly as TypeScript would
 * (or a bad one), a variable of the parser's it does not implement, sends the
 * whole run to Node. So no message about bad input is ever written here: the
 * TypeScript parser writes every one of them, and a new option in the table
 * reaches Node until someone implements it here.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "frontend.h"
#include "options.gen.h"

struct parsed {
  int subreaper, cleanup, no_cleanup;
};

/* -e: src/cli/cli.ts's exitCodeOption, /^\d+$/ and at most 255. */
static int exit_code_value(const char *v, int *out) {
  long n = 0;
  if (!*v) return 0;
  for (; *v; v++) {
    if (*v < '0' || *v > '9') return 0;
    n = n * 10 + (*v - '0');
    if (n > 255) return 0;
  }
  *out = (int)n;
  return 1;
}

/* --timeout, --grace: src/lib/duration.ts's parseDuration for the forms
 * /^(\d+(\.\d+)?|\.\d+)(ms|s|m)?$/ (text with blanks around it goes to Node).
 * The same IEEE double arithmetic: the number (strtod rounds correctly, as
 * Number() does) times the unit, rounded half up, refused past 2^53. */
static int duration_value(const char *v, long long *out) {
  const char *p = v;
  size_t digits = strspn(p, "0123456789");
  p += digits;
  if (*p == '.') {
    size_t frac = strspn(p + 1, "0123456789");
    if (frac == 0) return 0;
    p += 1 + frac;
  } else if (digits == 0) {
    return 0;
  }
  double unit = 1000;
  if (strcmp(p, "ms") == 0) unit = 1;
  else if (strcmp(p, "s") == 0) unit = 1000;
  else if (strcmp(p, "m") == 0) unit = 60000;
  else if (*p) return 0;
  double ms = round(strtod(v, NULL) * unit);
  if (!(ms <= 9007199254740991.0)) return 0;
  *out = (long long)ms;
  return 1;
}

/* -p: src/init/signals.ts's parseSignal for numbers and standard names; real-time
 * names go to Node. */
static int signal_value(const char *v, int *out) {
  if (*v >= '0' && *v <= '9') {
    long n = 0;
    for (const char *p = v; *p; p++) {
      if (*p < '0' || *p > '9') return 0;
      n = n * 10 + (*p - '0');
      if (n > 64) return 0;
    }
    if (!((n >= 1 && n <= 31) || (n >= 34 && n <= 64))) return 0;
    *out = (int)n;
    return 1;
  }
  return (*out = signal_by_name(v)) != 0;
}

/* One option; 0 when the front end does not implement it or the value is
 * not one it reads exactly as TypeScript does. */
static int take(const struct opt_spec *o, const char *value, struct fast_config *cfg, struct parsed *p) {
  const char *k = o->key;
  if (strcmp(k, "s") == 0) return p->subreaper = 1;
  if (strcmp(k, "g") == 0) return cfg->to_group = 1;
  if (strcmp(k, "cleanup") == 0) return p->cleanup = 1;
  if (strcmp(k, "noCleanup") == 0) return p->no_cleanup = 1;
  if (strcmp(k, "e") == 0) {
    int code;
    if (!exit_code_value(value, &code)) return 0;
    return cfg->remap[code] = 1;
  }
  if (strcmp(k, "p") == 0) return signal_value(value, &cfg->pdeathsig);
  if (strcmp(k, "timeout") == 0) return duration_value(value, &cfg->timeout_ms);
  if (strcmp(k, "grace") == 0) return duration_value(value, &cfg->grace_ms);
  return 0;
}

static const struct opt_spec *by_short(char c) {
  for (int i = 0; i < OPTION_COUNT; i++)
    if (OPTION_SPECS[i].short_name == c) return &OPTION_SPECS[i];
  return NULL;
}

static const struct opt_spec *by_long(const char *name, size_t len) {
  for (int i = 0; i < OPTION_COUNT; i++) {
    const char *l = OPTION_SPECS[i].long_name;
    if (l && strlen(l) == len && strncmp(l, name, len) == 0) return &OPTION_SPECS[i];
  }
  return NULL;
}

/* The variables parseCli reads; 0 when one is set that is not implemented. */
static int take_env(struct fast_config *cfg, struct parsed *p) {
  for (int i = 0; i < PARSER_ENV_COUNT; i++) {
    const char *name = PARSER_ENV[i];
    if (!getenv(name)) continue;
    /* As in TypeScript, being set is enough, whatever the value. */
    if (strcmp(name, "TINI_SUBREAPER") == 0) p->subreaper = 1;
    else if (strcmp(name, "TINI_KILL_PROCESS_GROUP") == 0) cfg->to_group = 1;
    else if (strcmp(name, "TINI_TS_NO_CLEANUP") == 0) p->no_cleanup |= !p->cleanup;
    else return 0; /* TINI_VERBOSITY, TINI_TS_LOG_FORMAT, ...: Node's */
  }
  return 1;
}

int parse_fast(int argc, char **argv, char **envp, struct fast_config *cfg) {
  (void)envp;
  memset(cfg, 0, sizeof *cfg);
  cfg->grace_ms = DEFAULT_GRACE_MS;
  struct parsed p = {0, 0, 0};
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (strncmp(a, "--", 2) == 0) {
      const char *eq = strchr(a, '=');
      const struct opt_spec *o = by_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
      if (!o || (eq && !o->takes_value)) return 0; /* --help, --version, unknown, bad use */
      const char *v = eq ? eq + 1 : o->takes_value ? (i + 1 < argc ? argv[++i] : NULL) : NULL;
      if (o->takes_value && !v) return 0;
      if (!take(o, v, cfg, &p)) return 0;
    } else if (a[0] == '-' && a[1]) {
      for (int j = 1; a[j]; j++) {
        const struct opt_spec *o = by_short(a[j]);
        if (!o) return 0; /* -h and unknown ones */
        if (o->takes_value) {
          const char *v = a[j + 1] ? a + j + 1 : (i + 1 < argc ? argv[++i] : NULL);
          if (!v || !take(o, v, cfg, &p)) return 0;
          break;
        }
        if (!take(o, NULL, cfg, &p)) return 0;
      }
    } else {
      break;
    }
  }
  if (i >= argc) return 0; /* no program: Node says so */
  cfg->program = argv + i;
  if (!take_env(cfg, &p)) return 0;
  if (p.cleanup && p.no_cleanup) return 0; /* a contradiction: Node says so */
  if (!p.subreaper) return 0;
  /* src/cli/cli.ts's cleansUpOnExit for a subreaper that is not PID 1. */
  cfg->cleanup = p.cleanup || !p.no_cleanup;
  return 1;
}
