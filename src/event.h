/* event.h — one usage event (SPEC §2) and the queue record that carries it to the sender.
 *
 * A record is {"v":1, "type", "anon_id", "principal", "event"}: the event without its
 * distinct_id, plus the identity it was captured under. The distinct_id is decided when the
 * event is sent (record_posthog_event), so an identity linked later (lazy linking) still
 * gets its pending events. */
#ifndef USAGE_REPORT_EVENT_H
#define USAGE_REPORT_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "conf.h"
#include "identity.h"

/* Events larger than this, serialised, are dropped at capture. */
#define MAX_EVENT_BYTES (900 * 1024)

struct prop {
	char *key, *value;
};

/* Longest --command / --event, in bytes. */
#define MAX_COMMAND_BYTES 200
/* Most --property options one event takes. */
#define MAX_PROPERTIES 64
/* What exec puts in PROGRAM's environment: "APP:UUID" of its event (SPEC §4.6). */
#define EXEC_PARENT_ENV "USAGE_REPORT_PARENT"

struct event_input {
	char uuid[UUID_STR_LEN];        /* minted in advance (exec), or "" to mint at capture */
	char parent_uuid[UUID_STR_LEN]; /* the enclosing exec's event of the same app, or "" */
	char *command;
	bool has_duration;
	long long duration_ms; /* already rounded half to even */
	bool has_exit_code;
	int exit_code;
	bool has_error;
	char *error; /* raw; scrubbed by event_build() */
	char *cli_version;
	struct prop *props;
	size_t n_props;
};

/* Record types. */
#define RECORD_EVENT "event"
#define RECORD_ALIAS "alias"
#define RECORD_LOGIN "login" /* a login event whose principal the sender must resolve */

/* Whether key names a property the tool sets itself (or PostHog reads), which --property
 * may not use. */
bool event_builtin_property(const char *key);

/* "success", "failure" or "cancelled". */
const char *event_outcome(const struct event_input *in);

/* Parse "123" or "123.456" milliseconds and round half to even, exactly (on the digits,
 * never through floating point). 0 on success, -1 when s is not of that form. */
int parse_duration(const char *s, long long *ms);

/* The PostHog event object for in, minus distinct_id: event, uuid, timestamp, properties.
 * New reference. */
json_t *event_build(const struct conf *cfg, const struct event_input *in);

/* The $create_alias event for principal ← anon_id, minus distinct_id. New reference. */
json_t *event_build_alias(void);

/* Wrap event (reference stolen) in a record captured under anon_id / principal (nullable). */
json_t *record_new(const char *type, const char *anon_id, const char *principal, json_t *event);

/* The event as PostHog receives it, with distinct_id and $process_person_profile decided
 * for the identity current (may be NULL). New reference. */
json_t *record_posthog_event(const json_t *record, const struct identity *current);

/* The Datadog logs intake discards logs dated further back than this. */
#define DATADOG_MAX_AGE_MS (18LL * 3600 * 1000)

/* The same facts as a Datadog log object (SPEC §5.2), as sent at now (ms): an event older
 * than DATADOG_MAX_AGE_MS has no "date" (the intake stamps it) but "captured_at". New
 * reference. */
json_t *record_datadog_log(const json_t *record, const struct identity *current, const struct conf *cfg,
                          int64_t now);

/* The record's event uuid (borrowed), or "". */
const char *record_uuid(const json_t *record);

void event_input_free(struct event_input *in);

#endif
