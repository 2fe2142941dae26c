/* events.h: the JS side of the handlers' ring (events.c); its N-API calls
 * are in exports.h. */
#ifndef TINI_EVENTS_H
#define TINI_EVENTS_H

const char *event_name(int type);
/* For the wake-up (wake.c): write the reap lines at the head of the ring
 * straight into the log queue (the count), and whether anything is left for
 * JS. */
int drain_reap_lines(void);
int events_pending(void);

#endif
