/* sender.h — what the sender's own files share (not an API of the project): the run's
 * state, its time budget, and reading one queue record. */
#ifndef USAGE_REPORT_SENDER_H
#define USAGE_REPORT_SENDER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"

#define REQUEST_LIMIT_MS 5000L
#define VALIDATE_LIMIT_MS 2000L
#define MIN_REQUEST_MS 500L

struct sender {
	struct conf cfg;
	int64_t deadline; /* monotonic ms */
	bool ignore_backoff;
	bool lazy_checked;
	char *queue; /* the queue folder */
};

/* Milliseconds left before the soft deadline. */
long time_left(const struct sender *s);

/* want, or less when the deadline is nearer. */
long request_limit(const struct sender *s, long want);

/* The queue record at path; NULL (the file removed and logged) when it is not one, or NULL
 * when it vanished meanwhile. New reference. */
json_t *load_record(struct sender *s, const char *path);

/* Lazy linking (SPEC §4.2): resolve the account behind the credentials once per change of
 * the credentials file (or per hour after a failure), link, and queue the alias. */
void lazy_link(struct sender *s);

/* A queued login whose account the sender resolves: link, alias, then it becomes a plain
 * event (rewritten in place at path). */
void resolve_login(struct sender *s, json_t *record, const char *path);

#endif
