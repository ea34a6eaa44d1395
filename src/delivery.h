/* delivery.h — what the sender remembers between runs: backoff and the last result
 * (STATE_DIR/delivery.json, whose mtime is the backoff expiry), and the attempt log
 * (STATE_DIR/sent.log, one JSON line per attempt, kept under 1 MiB). */
#ifndef USAGE_REPORT_DELIVERY_H
#define USAGE_REPORT_DELIVERY_H

#include <stdbool.h>

#include <jansson.h>

/* Longest backoff we set ourselves, and longest Retry-After we honour. */
#define BACKOFF_MAX_MS (3600LL * 1000)
#define RETRY_AFTER_MAX_MS (24LL * 3600 * 1000)

/* Whether the intake is in backoff: one stat() (the delivery file's mtime is the expiry,
 * its ctime when it was written). An expiry further ahead than any backoff we set (1 h, or
 * 1 day with Retry-After), or written by a clock that has since stepped back, is ignored
 * (SPEC §4.5), so a wrong clock never blocks delivery for longer than that. */
bool delivery_in_backoff(const char *state_dir);

/* A delivery of n events succeeded with status: backoff cleared. */
void delivery_succeeded(const char *state_dir, size_t n, long status);

/* A delivery failed in a way worth retrying (status 0 when no answer): the next backoff
 * is 1 s doubling to 1 h per consecutive failure, with jitter, and at least retry_after
 * seconds. Returns the backoff in milliseconds. */
long long delivery_failed(const char *state_dir, size_t n, long status, const char *error, long retry_after);

/* Append one attempt to sent.log: uuids (borrowed array), and status or error. `result` is
 * "delivered", "retry", "dropped" or "resolved". */
void sent_log(const char *state_dir, const char *backend, const char *result, json_t *uuids,
              long status, const char *error);

#endif
