/* log_writer.h: see log_writer.c. */
#ifndef TINI_LOG_WRITER_H
#define TINI_LOG_WRITER_H
#include <stddef.h>

/* Its N-API calls (logStart, logWrite, logFlush) are in exports.h. For the
 * reap lines events.c formats: a batch of lines into the queue. */
int log_batch_begin(void);
int log_batch_put(const char *s, size_t len);
void log_batch_end(int queued);

#endif
