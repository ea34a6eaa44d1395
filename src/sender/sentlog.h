/* sentlog.h — STATE_DIR/sent.log: one JSON line per delivery attempt (time, backend,
 * result, event count, uuids, HTTP status or error), rotated to sent.log.1 so that the two
 * stay under 1 MiB. Written by the sender only; nothing reads it but people and tests. */
#ifndef USAGE_REPORT_SENTLOG_H
#define USAGE_REPORT_SENTLOG_H

#include <jansson.h>

/* Append one attempt: uuids (borrowed array), and status (0: none) or error (NULL: none).
 * result is "delivered", "retry", "split", "dropped", "resolved" or "unresolved". Best
 * effort: a log that cannot be written is no reason to fail a delivery. */
void sentlog_append(const char *state_dir, const char *backend, const char *result, json_t *uuids,
                    long status, const char *error);

#endif
