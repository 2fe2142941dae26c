/*
 * wake.h: how the signal handlers wake JS (wake.c). Both calls are
 * async-signal-safe and may run on any thread; before onWake() and after
 * stopWake() they do nothing.
 */
#ifndef TINI_WAKE_H
#define TINI_WAKE_H

/* Wake the loop now (a signal, the program's exit, a stop). */
void wake_js(void);
/* Wake it for what may wait a few ms (orphan reaps to log): the first of a
 * batch wakes, the rest of the window joins it. */
void wake_js_lazy(void);

#endif
