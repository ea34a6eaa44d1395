/* backoff.h — what the sender remembers between runs: whether the intake is in backoff, the
 * last result, and the session the last delivered request ended (STATE_DIR/delivery.json,
 * whose mtime is the backoff expiry): one file, so that a delivery costs one write. The one
 * module that reads or writes that file; session.h gives the session's meaning. */
#ifndef USAGE_REPORT_BACKOFF_H
#define USAGE_REPORT_BACKOFF_H

#include <stdbool.h>

#include <jansson.h>

#define DELIVERY_FILE "delivery.json"

/* Longest backoff we set ourselves, and longest Retry-After we honour. */
#define BACKOFF_MAX_MS (3600LL * 1000)
#define RETRY_AFTER_MAX_MS (24LL * 3600 * 1000)

/* Whether the intake is in backoff: one stat() (the delivery file's mtime is the expiry,
 * its ctime when it was written). An expiry further ahead than any backoff we set (1 h, or
 * 1 day with Retry-After), or written by a clock that has since stepped back, is ignored
 * (design.md §4.5), so a wrong clock never blocks delivery for longer than that. */
bool backoff_active(const char *state_dir);

/* A delivery of n events succeeded with status: backoff cleared, and session (borrowed; NULL
 * keeps the one there) kept as the session the next request goes on from. */
void backoff_succeeded(const char *state_dir, size_t n, long status, json_t *session);

/* The session kept by the last success, as backoff_succeeded was given it, or NULL. New
 * reference. */
json_t *backoff_session(const char *state_dir);

/* A delivery failed in a way worth retrying (status 0 when no answer): the next backoff
 * is 1 s doubling to 1 h per consecutive failure, with jitter, and at least retry_after
 * seconds. Returns the backoff in milliseconds. */
long long backoff_failed(const char *state_dir, size_t n, long status, const char *error, long retry_after);

/* {"last": the last result or null, "backoff_until": the expiry while in backoff, or null},
 * for status. New reference. */
json_t *backoff_status(const char *state_dir);

#endif
