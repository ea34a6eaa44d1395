/* session.h — PostHog's $session_id (design.md §2, §4.5), assigned by the sender from the gaps
 * between event timestamps, so that the foreground pays nothing for it (--dry-run only reads
 * the saved session, to show the id the sender would give).
 *
 * A session ends after SESSION_IDLE_MS without an event, or SESSION_MAX_MS after it began;
 * its id is a UUID v7 stamped with its first event's time. The current session is kept with
 * the delivery state (backoff.h). Calling sequence, per request: copy the loaded session,
 * call session_assign() for each event in queue order, and give session_json() of the copy
 * to backoff_succeeded() only once the intake took the request, so that a retry assigns the
 * same ids again. */
#ifndef USAGE_REPORT_SESSION_H
#define USAGE_REPORT_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "util.h"
#include "uuid.h"

#define SESSION_IDLE_MS (30LL * 60 * 1000)
#define SESSION_MAX_MS (24LL * 3600 * 1000)

struct session {
	char id[UUID_STR_LEN]; /* "" before the first event */
	int64_t start_ms, last_ms;
	bool ended; /* a logout ended it: the next event starts a new one */
};

/* The saved session, or none (id "") when there is no valid one. Never blocks. */
void session_load(const char *state_dir, struct session *s);

/* The session id of the event uuid captured at ms, starting a new session when the gap or
 * the length says so; a new session's id is derived from the uuid of its first event, so
 * that a retried request carries the same ids. Returns s->id. */
const char *session_assign(struct session *s, int64_t ms, const char *uuid);

/* End the session (a logout: the next person's events never share it). */
void session_end(struct session *s);

/* The session as backoff_succeeded() keeps it, or NULL before the first event. New
 * reference. */
json_t *session_json(const struct session *s);

#endif
